/**
 * Local (module-by-module) training of DL4J graphs: {@link dev.infopro.dl4j.engine.LocalModuleGraph} splits a
 * network into gradient-isolated modules with auxiliary heads, trains them one after another per mini-batch
 * (releasing each module's activations before the next runs), runs inference without heads and converts back to a
 * plain {@code ComputationGraph}. {@link dev.infopro.dl4j.engine.LocalTrainingListener} reports per-module losses.
 * A NaN or infinite loss or gradient in any module stops training with a
 * {@link dev.infopro.dl4j.engine.TrainingDivergedException} or skips the batch, see
 * {@link dev.infopro.dl4j.config.OnNonFinite}; either way no module is updated with that batch.
 */
package dev.infopro.dl4j.engine;
