// Compute: tensors on oneDNN, layers with explicit backward passes, losses, optimizers, safetensors.
@_exported import Determinism
