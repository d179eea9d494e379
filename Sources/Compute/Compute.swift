// Compute: tensors on oneDNN, layers with explicit backward passes, losses, optimizers, safetensors.
import Determinism
