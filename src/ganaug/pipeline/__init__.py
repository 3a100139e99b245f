"""Plumbing every stage shares: declared files, atomic I/O, seeding and device, progress, DVCLive, the machine,
and the import map the deps test and the GAN resume fingerprint read. Imports no other ganaug layer.
"""
