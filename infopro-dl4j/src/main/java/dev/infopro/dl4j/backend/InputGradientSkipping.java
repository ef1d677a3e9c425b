package dev.infopro.dl4j.backend;

/**
 * A layer helper that can leave out the gradient at its layer's input when nothing reads it: the layer is fed only by
 * the network's input, whose gradient DL4J's training discards ({@link OneDnnHelpers#patchForTraining}). It then
 * returns {@link UnreadArrays#zeros} in its place, as PyTorch skips the gradient of an input that needs none.
 */
abstract class InputGradientSkipping {
    private boolean inputGradientRead = true;

    /** Tells the helper that nothing reads the gradient at its layer's input. */
    final void inputGradientUnread() {
        inputGradientRead = false;
    }

    /** Whether the helper computes the gradient at its layer's input (see {@link #inputGradientUnread}). */
    final boolean inputGradientRead() {
        return inputGradientRead;
    }
}
