/**
 * Local (module-by-module) training of DL4J graphs. A {@link dev.infopro.dl4j.engine.ModuleTrainer} does one
 * module's step ({@link dev.infopro.dl4j.engine.GraphModuleTrainer} for a {@code ComputationGraph} module); a
 * {@link dev.infopro.dl4j.engine.ModuleExecutor} ({@link dev.infopro.dl4j.engine.SequentialExecutor}) runs one step
 * of all modules per mini-batch; {@link dev.infopro.dl4j.engine.LocalModuleGraph} is the front users hold: it is
 * built from a {@link dev.infopro.dl4j.planning.TrainingPlan}, trains, runs inference without heads, converts back to
 * a plain {@code ComputationGraph} and is saved by {@link dev.infopro.dl4j.engine.LocalModelSerializer}.
 * {@link dev.infopro.dl4j.engine.BatchChecks} checks every training batch against the network before any module runs
 * (the SameDiff and Spark paths use it too).
 * {@link dev.infopro.dl4j.engine.LocalTrainingListener}s receive the model after every iteration and epoch. A NaN or
 * infinite loss or gradient in any module stops training with a
 * {@link dev.infopro.dl4j.engine.TrainingDivergedException} or skips the batch, see
 * {@link dev.infopro.dl4j.config.OnNonFinite}; either way no module is updated with that batch.
 */
package dev.infopro.dl4j.engine;
