"""A complete, readable AlphaFold2 (monomer inference) in PyTorch.

Every module cites the Supplementary Information (SI) of Jumper et al., Nature 596
(2021) and loads DeepMind's ``params_model_*.npz`` weights (see ``reference.weights``).
"""
