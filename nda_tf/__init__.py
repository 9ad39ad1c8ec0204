"""nda_tf: Negative Data Augmentation (Sinha et al., ICLR 2021) in Keras 3."""

__version__ = "0.1.0"
