/**
 * From a network and settings to a {@link dev.infopro.dl4j.planning.TrainingPlan}: {@link dev.infopro.dl4j.planning.Planner}
 * resolves the cuts (named, or chosen by {@link dev.infopro.dl4j.planning.CutPlanner} with the memory cost model
 * {@link dev.infopro.dl4j.planning.MemoryEstimator}), checks the setup once, and splits the graph into per-module
 * configurations with auxiliary heads ({@link dev.infopro.dl4j.planning.GraphSplitter}). Also: which vertices are
 * valid module boundaries ({@link dev.infopro.dl4j.planning.GraphAnalysis}), which of them end a block of the
 * network and so may be chosen automatically ({@link dev.infopro.dl4j.planning.BlockBoundaries}), and copying weights between the whole
 * network and its modules ({@link dev.infopro.dl4j.planning.WeightTransfer}), and which ReLUs and sums of the
 * modules may overwrite their input ({@link dev.infopro.dl4j.planning.InPlaceActivations}). Estimates only; it never trains, and
 * depends on no package that does.
 */
package dev.infopro.dl4j.planning;
