/**
 * Immutable, JSON-serialisable configuration of local (InfoPro) training.
 * {@link dev.infopro.dl4j.config.LocalTrainingConfig} holds every setting that changes training, the policies
 * ({@link dev.infopro.dl4j.config.OnNonFinite}, native-memory release) included, and is saved with the model. Also
 * here: the method and its auxiliary heads ({@link dev.infopro.dl4j.config.LocalLearning}), the per-module lambda
 * schedule and the reference's defaults ({@link dev.infopro.dl4j.config.LambdaSchedule}, docs/method.md §1.4) and
 * how the network is split ({@link dev.infopro.dl4j.config.SplitStrategy}); the input normalisation is
 * {@link dev.infopro.dl4j.data.Normalization}. Depends on {@code heads} and {@code data}.
 */
package dev.infopro.dl4j.config;
