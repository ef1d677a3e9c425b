/**
 * Graph analysis and splitting: which vertices of a DL4J {@code ComputationGraphConfiguration} are valid module
 * boundaries ({@link dev.infopro.dl4j.planning.GraphAnalysis}), how the graph is cut into per-module sub-graph
 * configurations with auxiliary heads ({@link dev.infopro.dl4j.planning.GraphSplitter}), and copying weights between
 * the whole network and its modules ({@link dev.infopro.dl4j.planning.WeightTransfer}).
 */
package dev.infopro.dl4j.planning;
