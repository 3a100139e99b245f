"""From results to the answer: statistics, worth in real images, tables, findings and figures. Never trains.
"""
