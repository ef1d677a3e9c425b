/**
 * Data-parallel local training on Apache Spark by parameter averaging, the pattern of DL4J's
 * {@code ParameterAveragingTrainingMaster} applied to a {@link dev.infopro.dl4j.engine.LocalModuleGraph}: the driver
 * broadcasts the model's state, each partition trains its replica for H mini-batches with the library's own training
 * step, and the driver averages the replicas ({@code treeAggregate}). {@link dev.infopro.dl4j.spark.SparkLocalTrainer}
 * is the entry point; {@link dev.infopro.dl4j.spark.SparkImageData} makes the RDD of image records. Spark is a
 * provided dependency: nothing else in infopro-dl4j needs it. No ND4J array is ever in an RDD or a closure; the model
 * travels as the bytes of its saved zip and its state as a primitive array. See docs/spark.md.
 */
package dev.infopro.dl4j.spark;
