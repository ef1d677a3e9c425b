package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.Iterator;

/**
 * Rejects a mini-batch that does not fit the network before any module runs, with a message that says what differs:
 * the number of feature arrays, the data's channel count or image size against the input type, missing labels, the
 * label width against the number of classes, labels that are not one row per example, or class labels that are not
 * one-hot (e.g. a class index beyond the last class).
 */
public final class BatchChecks {
    private BatchChecks() {
    }

    /** {@code first}, then the checked batches of the rest of one pass over {@code data}. */
    static Iterator<Batch> batches(Batch first, DataSetIterator data, ModuleSet modules) {
        return new Iterator<>() {
            private boolean firstTaken;

            @Override
            public boolean hasNext() {
                return !firstTaken || data.hasNext();
            }

            @Override
            public Batch next() {
                if (!firstTaken) {
                    firstTaken = true;
                    return first;
                }
                DataSet d = data.next();
                return batch(modules, features(d), new INDArray[]{d.getLabels()}, data);
            }
        };
    }

    /**
     * One checked batch for training: builds a pending model from it, checks it against the network, and resolves
     * the reconstruction target (from {@code source}, or null).
     */
    static Batch batch(ModuleSet modules, INDArray[] features, INDArray[] labels, DataSetIterator source) {
        modules.forBatch(features);
        int inputs = modules.requirePlan("training").getModules().get(0).getSpec().getInputNames().size();
        check(modules.config(), inputs, features, labels);
        modules.forTraining(features, source);
        return new Batch(features, labels);
    }

    /**
     * The features of a data set, which local training takes without mask arrays.
     *
     * @param batch a training batch
     * @return its features, as the one network input
     * @throws IllegalArgumentException when it carries mask arrays
     */
    public static INDArray[] features(DataSet batch) {
        if (batch.getFeaturesMaskArray() != null || batch.getLabelsMaskArray() != null) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return new INDArray[]{batch.getFeatures()};
    }

    /**
     * Image data against a convolutional input type: NCHW {@code [batch, c, h, w]}, or for a flat one (an
     * MNIST-style network) also {@code [batch, c * h * w]}.
     */
    private static void checkImage(InputType type, long[] s) {
        long c;
        long h;
        long w;
        boolean flat = type instanceof InputType.InputTypeConvolutionalFlat;
        if (type instanceof InputType.InputTypeConvolutional) {
            InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) type;
            c = t.getChannels();
            h = t.getHeight();
            w = t.getWidth();
        } else if (flat) {
            InputType.InputTypeConvolutionalFlat t = (InputType.InputTypeConvolutionalFlat) type;
            c = t.getDepth();
            h = t.getHeight();
            w = t.getWidth();
        } else {
            return;
        }
        boolean image = s.length == 4 && s[1] == c && s[2] == h && s[3] == w;
        if (!image && !(flat && s.length == 2 && s[1] == c * h * w)) {
            throw new IllegalArgumentException("The data does not match the network's input: expected "
                    + "[batch, " + c + ", " + h + ", " + w + "] (NCHW)" + (flat ? " or [batch, " + c * h * w + "]" : "")
                    + " but got " + Arrays.toString(s) + ". Check the dataset's channel count and image"
                    + " size against the network (e.g. grayscale data on an RGB network)");
        }
    }

    static void check(LocalTrainingConfig config, int networkInputs, INDArray[] features, INDArray[] labels) {
        check(config.getInputTypes(), config.getNumClasses(), networkInputs, features, labels);
    }

    /**
     * Checks one training batch against a network, for every engine: see the class documentation.
     *
     * @param inputTypes    the network's input types
     * @param numClasses    the width of the network's output
     * @param networkInputs the number of network inputs
     * @param features      the batch's feature arrays
     * @param labels        the batch's label arrays
     * @throws IllegalArgumentException saying what does not fit and how to fix it
     */
    public static void check(InputType[] inputTypes, int numClasses, int networkInputs, INDArray[] features,
                             INDArray[] labels) {
        if (features.length != networkInputs) {
            throw new IllegalArgumentException("The network has " + networkInputs + " inputs but the batch has "
                    + features.length + " feature arrays");
        }
        for (int i = 0; i < features.length && i < inputTypes.length; i++) {
            checkImage(inputTypes[i], features[i].shape());
        }
        if (labels == null || labels.length == 0 || labels[0] == null) {
            throw new IllegalArgumentException("The batch has no labels: local training needs one-hot class labels,"
                    + " one row per example, for the modules' heads and the network's own loss. Give the DataSet its"
                    + " labels (for images in folders, e.g. an ImageRecordReader with a ParentPathLabelGenerator)");
        }
        long n = features[0].size(0);
        INDArray y = labels[0];
        if (y.rank() != 2 || y.size(0) != n) {
            throw new IllegalArgumentException("Labels must be one row per example, [" + n + ", numClasses], got "
                    + Arrays.toString(y.shape()));
        }
        if (y.size(1) != numClasses) {
            throw new IllegalArgumentException("The data has " + y.size(1) + " classes but the network has "
                    + numClasses + ": use a network whose output layer has nOut = " + y.size(1)
                    + ", or data with " + numClasses + " classes");
        }
        INDArray rowSums = y.sum(1);
        long worstRow = Transforms.abs(rowSums.sub(1.0)).argMax().getLong(0);
        double worstSum = rowSums.getDouble(worstRow);
        double min = y.minNumber().doubleValue();
        if (Math.abs(worstSum - 1) > 1e-3 || min < 0) {
            throw new IllegalArgumentException("Labels must be one-hot (or class probabilities) over "
                    + numClasses + " classes; " + (min < 0 ? "an entry is " + min
                    : "row " + worstRow + " sums to " + worstSum) + "."
                    + " A class index outside [0, " + (numClasses - 1) + "] gives an all-zero row");
        }
    }
}
