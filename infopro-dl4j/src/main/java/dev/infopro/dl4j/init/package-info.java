/**
 * The reference's PyTorch-style initialisers for DL4J: He fan-out normal for convolutions
 * ({@link dev.infopro.dl4j.init.HeFanOutNormal}), PyTorch's default uniform for linear weights
 * ({@link dev.infopro.dl4j.init.TorchDefaultUniform}) and PyTorch's uniform bias initialisation, applied after
 * {@code init()} ({@link dev.infopro.dl4j.init.TorchBiasInit}).
 *
 * <p>A leaf package: it depends only on DL4J/ND4J, never on another package of the library.
 */
package dev.infopro.dl4j.init;
