package dev.infopro.dl4j.engine;

/** Progress hook of {@link LocalModuleGraph} training (e.g. for a progress bar or a loss log). */
public interface LocalTrainingListener {

    /**
     * Called after every mini-batch, once all modules have stepped.
     *
     * @param epoch        0-based epoch
     * @param iteration    0-based iteration (mini-batch) count before this step was counted
     * @param moduleScores loss of each module on this mini-batch (local loss for 1..K-1, network loss for K)
     */
    void onIteration(int epoch, int iteration, double[] moduleScores);

    /**
     * Called at the end of each epoch.
     *
     * @param epoch            the 0-based epoch that ended
     * @param lastModuleScores the module losses of the epoch's last mini-batch
     */
    default void onEpochEnd(int epoch, double[] lastModuleScores) {
    }
}
