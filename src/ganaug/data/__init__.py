"""The images under study: dataset readers and their registry, the verified MNIST copy, the dataset's
description, stratified subsets and the tensors a stage trains on. Imports only ``params`` and ``pipeline``.
"""
