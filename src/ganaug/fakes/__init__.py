"""What happens to fakes once sampled: judged and filtered by a level's judge; the PCA baseline sampler.
"""
