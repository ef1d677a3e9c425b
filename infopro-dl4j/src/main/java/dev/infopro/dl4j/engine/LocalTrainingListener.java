package dev.infopro.dl4j.engine;

/**
 * Hook into {@link LocalModuleGraph} training, called with the model so that a listener can evaluate, save a
 * checkpoint or stop (by throwing) at these points. DL4J's own {@code TrainingListener}s, set with
 * {@link LocalModuleGraph#setListeners}, are called per module graph in addition.
 */
public interface LocalTrainingListener {

    /**
     * Called after every mini-batch, once all modules have stepped.
     *
     * @param model        the model that trained
     * @param epoch        0-based epoch
     * @param iteration    0-based iteration (mini-batch) count before this step was counted
     * @param moduleScores loss of each module on this mini-batch (local loss for 1..K-1, network loss for K)
     */
    void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] moduleScores);

    /**
     * Called at the end of each epoch, before the epoch counter advances.
     *
     * @param model            the model that trained
     * @param epoch            the 0-based epoch that ended
     * @param lastModuleScores the module losses of the epoch's last mini-batch
     */
    default void onEpochEnd(LocalModuleGraph model, int epoch, double[] lastModuleScores) {
    }
}
