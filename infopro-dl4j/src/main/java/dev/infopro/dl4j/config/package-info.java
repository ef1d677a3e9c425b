/**
 * Immutable, JSON-serialisable configuration of local (InfoPro) training: the method and its auxiliary heads
 * ({@link dev.infopro.dl4j.config.LocalLearning}), the per-module lambda schedule
 * ({@link dev.infopro.dl4j.config.LambdaSchedule}, spec 1.4), how the network is split
 * ({@link dev.infopro.dl4j.config.SplitStrategy}) and the input normalisation used to rebuild the reconstruction
 * target ({@link dev.infopro.dl4j.config.InputNormalization}).
 */
package dev.infopro.dl4j.config;
