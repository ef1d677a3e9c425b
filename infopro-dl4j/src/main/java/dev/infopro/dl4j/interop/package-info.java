/**
 * Import of weights trained or initialised elsewhere. {@link dev.infopro.dl4j.interop.TorchWeightImport} maps PyTorch
 * {@code state_dict} tensors (e.g. saved as {@code .npy} files) onto the parameters of a DL4J
 * {@link org.deeplearning4j.nn.graph.ComputationGraph} or of the modules of a
 * {@link dev.infopro.dl4j.engine.LocalModuleGraph}, converting names and layouts.
 */
package dev.infopro.dl4j.interop;
