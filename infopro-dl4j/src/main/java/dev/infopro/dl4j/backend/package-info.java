/**
 * Native-backend care: switching on DL4J's oneDNN layer helpers for the CPU backend and fixing them where
 * 1.0.0-M2.1 breaks them or is slow ({@link dev.infopro.dl4j.backend.OneDnnHelpers}, activated automatically
 * through an ND4J {@code EnvironmentalAction} service: a convolution helper without DL4J's second forward pass,
 * no gradient at the inputs of graphs that only train ({@link dev.infopro.dl4j.backend.OneDnnHelpers#patchForTraining},
 * with {@link dev.infopro.dl4j.backend.UnreadArrays} in its place),
 * convolutions and ReLU's backward pass on oneDNN itself ({@link dev.infopro.dl4j.backend.DirectConvolution},
 * {@link dev.infopro.dl4j.backend.DirectRelu}, through JavaCPP's dnnl presets),
 * batch norm computed in Java, {@link dev.infopro.dl4j.backend.FusedBatchNormHelper}, on
 * {@link dev.infopro.dl4j.backend.ArrayElements} and {@link dev.infopro.dl4j.backend.ParallelChunks}, which the
 * bilinear upsampling layer uses too), giving freed native memory back to the operating system
 * ({@link dev.infopro.dl4j.backend.NativeHeap}), keeping idle native threads from waiting busily for long
 * ({@link dev.infopro.dl4j.backend.IdleNativeThreads}), and which GPUs ND4J's CUDA build can run on
 * ({@link dev.infopro.dl4j.backend.CudaSupport}, checked when the CUDA backend starts by
 * {@link dev.infopro.dl4j.backend.CudaCompatibilityCheck}).
 *
 * <p>A leaf package: it depends only on DL4J/ND4J, JavaCPP's dnnl presets, JNA and Lombok, never on another package
 * of the library.
 */
package dev.infopro.dl4j.backend;
