package dev.infopro.dl4j.data;

/**
 * What every training loop of the library (DL4J modules, SameDiff modules) requires of the iterator it is given, in
 * the same words: a batch in every epoch, and for several epochs the ability to start over.
 */
public final class TrainingIterators {
    private TrainingIterators() {
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
     * The error for an epoch whose iterator gave no batch: empty, or used up and unable to reset. Training on would
     * record an epoch without a step.
     *
     * @param resetSupported the iterator's {@code resetSupported()}
     * @return the exception to throw
     */
    public static IllegalArgumentException noBatch(boolean resetSupported) {
        return new IllegalArgumentException("The training iterator gave no batch" + (resetSupported
                ? ": it is empty. Check the data source and any filtering that feeds it"
                : ": it is empty, or an earlier pass used it up and it cannot reset (resetSupported() is false)."
                + " Give one that can reset, or a new one for each epoch"));
    }
}
