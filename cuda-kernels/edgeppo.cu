// The one translation unit of the kernels: nvcc -fatbin compiles it into edgeppo.fatbin, and g++
// compiles it for the host emulation (native/cuda-host). One .cu per op, each with its kernels'
// forward and backward side by side; fused.cu chains the same device functions into one launch.
#include "linear.cu"
#include "loss.cu"
#include "gae.cu"
#include "adam.cu"
#include "fused.cu"
