package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.data.Normalization;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Optional;

/**
 * The decoder's target x01 for a batch of features: the features de-normalised ({@link Normalization#denormalize},
 * docs/method.md §2.3) and, for a network fed flat images ({@code InputType.convolutionalFlat}), reshaped to the
 * [batch, channels, height, width] image the decoder produces. The one place the target is made.
 */
public final class ReconstructionTarget {
    /** How far outside [0, 1] a target value may be (float rounding of x * std + mean) before it is refused. */
    static final double RANGE_TOLERANCE = 1e-3;

    private final Normalization normalization;
    private final InputType input;

    /**
     * @param normalization the normalisation the features were prepared with
     * @param input         the type of the network's first input
     */
    public ReconstructionTarget(Normalization normalization, InputType input) {
        this.normalization = normalization;
        this.input = input;
    }

    /** A new array with the target of {@code features} (the first network input). */
    public INDArray of(INDArray features) {
        INDArray x01 = normalization.denormalize(features);
        if (input instanceof InputType.InputTypeConvolutionalFlat && x01.rank() == 2) {
            InputType.InputTypeConvolutionalFlat f = (InputType.InputTypeConvolutionalFlat) input;
            // DL4J's FeedForwardToCnnPreProcessor reads a flat row as [channels, height, width] in c order
            x01 = x01.reshape('c', x01.size(0), f.getDepth(), f.getHeight(), f.getWidth());
        }
        return x01;
    }

    /**
     * The normalisation the library chooses when none was given: the iterator's (an {@link ImageDataSetIterator}'s
     * own, or its DL4J pre-processor's, {@link Normalization#fromPreProcessor}), else the identity; the first batch's
     * target must then be in [0, 1].
     *
     * @param features the first batch's first input
     * @param input    the type of the network's first input
     * @param source   the iterator the batch came from, or null
     * @throws IllegalArgumentException when the target is outside [0, 1], saying what to pass
     */
    static Normalization chooseNormalization(INDArray features, InputType input, DataSetIterator source) {
        DataSetPreProcessor pre = source == null ? null : source.getPreProcessor();
        Optional<Normalization> read = source instanceof ImageDataSetIterator && pre == null
                ? Optional.of(((ImageDataSetIterator) source).getNormalization())
                : Normalization.fromPreProcessor(pre, features);
        Normalization n = read.orElseGet(() -> Normalization.none((int) features.size(1)));
        String what = read.isPresent() ? "the input with the iterator's "
                + (pre != null ? pre.getClass().getSimpleName() : "normalisation") + " undone"
                : "the input itself: no inputNormalization(...) was given"
                + (pre != null ? " and the iterator's pre-processor " + pre.getClass().getSimpleName()
                + " is not one whose normalisation can be read" : "");
        // fit(DataSet) and fit(MultiDataSetIterator) have no DataSetIterator whose pre-processor could be read
        new ReconstructionTarget(n, input).requireUnitRange(features, what, "Tell the model how the data was"
                + " normalised: inputNormalization(mean, std) on the builder (the target is x * std + mean per"
                + " channel)" + (source == null ? "" : ", or a DL4J DataNormalization (NormalizerStandardize,"
                + " NormalizerMinMaxScaler, ImagePreProcessingScaler) as the DataSetIterator's pre-processor, fitted"
                + " on images scaled to [0, 1]"));
        return n;
    }

    /**
     * Refuses a batch whose target is not an image in [0, 1]: binary cross-entropy against such a target trains the
     * decoder on garbage without any error.
     *
     * @param features a batch of features
     * @param what     what the target is, for the message (e.g. "the input with the iterator's
     *                 NormalizerStandardize undone")
     * @param fix      what the user can pass instead, for the message
     * @throws IllegalArgumentException saying what the values are and what to pass instead
     */
    public void requireUnitRange(INDArray features, String what, String fix) {
        INDArray x01 = of(features);
        double min = x01.minNumber().doubleValue();
        double max = x01.maxNumber().doubleValue();
        if (x01.closeable()) {
            x01.close();
        }
        if (!(min >= -RANGE_TOLERANCE && max <= 1 + RANGE_TOLERANCE)) {
            throw new IllegalArgumentException("The reconstruction target (" + what + ") has values in [" + min
                    + ", " + max + "], outside [0, 1]: the decoder's binary cross-entropy needs the input image in"
                    + " [0, 1]. " + fix);
        }
    }
}
