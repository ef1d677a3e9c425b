/**
 * Crash-safe checkpoints and exact resume for {@link dev.infopro.dl4j.engine.LocalModuleGraph} training, and for
 * any other {@link dev.infopro.dl4j.engine.CheckpointableModel} such as {@code samediff.SameDiffLocalModel} (whose
 * state is read back with {@code local.restore(checkpoint.openModelState())}).
 *
 * <p>{@link dev.infopro.dl4j.checkpoint.CheckpointManager} writes each checkpoint to a temporary file, fsyncs it,
 * renames it atomically and keeps the last N; {@link dev.infopro.dl4j.checkpoint.CheckpointManager#loadLatest()}
 * returns the newest checkpoint whose SHA-256 manifest verifies, skipping damaged ones with a warning. Typical loop:
 * <pre>{@code
 * CheckpointManager cm = new CheckpointManager(runDir.resolve("checkpoints"), 2);
 * Optional<Checkpoint> cp = cm.loadLatest();               // resume if there is one
 * LocalModuleGraph model = cp.map(Checkpoint::getModel).orElseGet(() -> build());
 * cp.ifPresent(c -> iterator.restoreState(c.getDataState()));
 * while (model.getEpochCount() < epochs) {
 *     model.fit(iterator);                                  // one epoch (the iterator's reset starts the next one)
 *     if (model.getEpochCount() % every == 0) cm.save(model, iterator.getState(), Map.of("spec", specJson));
 * }
 * }</pre>
 * Checkpoints are meant to be taken at epoch boundaries: {@code LocalModuleGraph.fit(DataSetIterator)} resets the
 * iterator first, which moves a mid-epoch iterator to the next epoch.
 *
 * <p><b>Exact resume.</b> A checkpoint holds every module's parameters (batch-norm running statistics included),
 * the updater state, the configuration with the lambda schedule, the epoch and iteration counters (which drive
 * learning-rate schedules), the data iterator's seed, epoch and position (sample order and augmentation depend only
 * on these), and ND4J's global random state ({@link dev.infopro.dl4j.checkpoint.Checkpoint#restoreRandomState()},
 * needed only when training draws random numbers, e.g. dropout). With these, one run of E epochs and a run stopped,
 * reloaded in fresh objects (or a fresh JVM) and continued give the same parameters (tested on CPU).
 *
 * <p><b>What breaks determinism</b> (same seed and configuration giving different numbers):
 * <ul>
 *   <li>a different number of BLAS/OpenMP threads ({@code OMP_NUM_THREADS}, core count): reductions and GEMM are
 *       summed in a different order, so results differ in the last bits and drift apart over training;</li>
 *   <li>a different CPU or native classifier ({@code avx2}, {@code avx512}, {@code onednn}): other kernels are
 *       selected (oneDNN picks implementations per CPU), with different rounding; likewise enabling the oneDNN layer
 *       helpers, and GPU (cuDNN) algorithms;</li>
 *   <li>a different data type (float vs double) or DL4J/ND4J version;</li>
 *   <li>drawing from ND4J's global random generator elsewhere in the process between steps (dropout then sees
 *       other numbers).</li>
 * </ul>
 * Prefetching does not matter: batch order and augmentation are functions of (seed, epoch, position) only.
 *
 * <p><b>Crashes.</b> A kill during a write leaves at most a hidden {@code .checkpoint-*.tmp} file, which readers
 * ignore and the next save deletes; the previous checkpoints are untouched. Files other than this manager's
 * {@code checkpoint-eEEEE-iIIIIII.zip} are never deleted, and a valid checkpoint is never overwritten.
 */
package dev.infopro.dl4j.checkpoint;
