package dev.infopro.dl4j.data;

import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

import java.util.function.BooleanSupplier;

/**
 * What every training and evaluation loop of the library (DL4J modules, SameDiff modules) requires of the iterator it
 * is given, in the same words: a batch in every epoch, the ability to start over for several epochs, and labels to
 * evaluate against.
 */
public final class IteratorChecks {
    private IteratorChecks() {
    }

    /**
     * Several epochs need an iterator that can start over, as in DL4J's own {@code fit(iterator, epochs)}.
     *
     * @param epochs         the epochs asked for
     * @param resetSupported the iterator's {@code resetSupported()}
     * @throws IllegalArgumentException when {@code epochs > 1} and the iterator cannot reset
     */
    public static void requireResettable(int epochs, boolean resetSupported) {
        if (epochs > 1 && !resetSupported) {
            throw new IllegalArgumentException("Training for " + epochs + " epochs needs an iterator that can reset,"
                    + " but resetSupported() is false: train one epoch per new iterator, or give one that can reset");
        }
    }

    /**
     * Evaluation compares predictions with labels, so every batch of evaluation data needs them.
     *
     * @param batch one batch of the evaluation data
     * @throws IllegalArgumentException when it has no labels
     */
    public static void requireEvaluationLabels(DataSet batch) {
        if (batch.getLabels() == null) {
            throw new IllegalArgumentException("Evaluation compares predictions with labels, but a batch of the"
                    + " evaluation data has none: give the test iterator its labels, or call output(...) for"
                    + " predictions alone");
        }
    }

    /**
     * Starts one training pass over {@code data}: resets it when it can, and refuses it when it gives no batch
     * (empty, or used up and unable to reset), since training on would record an epoch without a step.
     *
     * @param data the training data
     * @throws IllegalArgumentException when it gives no batch
     */
    public static void startTrainingPass(DataSetIterator data) {
        startTrainingPass(data.resetSupported(), data::reset, data::hasNext);
    }

    /**
     * {@link #startTrainingPass(DataSetIterator)} for multi-input / multi-output data.
     *
     * @param data the training data
     * @throws IllegalArgumentException when it gives no batch
     */
    public static void startTrainingPass(MultiDataSetIterator data) {
        startTrainingPass(data.resetSupported(), data::reset, data::hasNext);
    }

    private static void startTrainingPass(boolean resetSupported, Runnable reset, BooleanSupplier hasNext) {
        if (resetSupported) {
            reset.run();
        }
        if (!hasNext.getAsBoolean()) {
            throw new IllegalArgumentException("The training iterator gave no batch" + (resetSupported
                    ? ": it is empty. Check the data source and any filtering that feeds it"
                    : ": it is empty, or an earlier pass used it up and it cannot reset (resetSupported() is false)."
                    + " Give one that can reset, or a new one for each epoch"));
        }
    }
}
