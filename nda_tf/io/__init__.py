"""Reading and writing files (layer 0): `files` (modes, atomic JSON) and
`pth` (PyTorch state dicts read with NumPy, without torch)."""
