package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.Iterator;

/**
 * Rejects a mini-batch that does not fit the network before any module runs, with a message that says what differs:
 * the number of feature arrays, the data's channel count or image size against the input type, the label width
 * against the number of classes, labels that are not one row per example, or class labels that are not one-hot
 * (e.g. a class index beyond the last class).
 */
final class BatchChecks {
    private BatchChecks() {
    }

    /** The checked batches of one pass over {@code data}. */
    static Iterator<Batch> batches(LocalTrainingConfig config, int networkInputs, DataSetIterator data) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return data.hasNext();
            }

            @Override
            public Batch next() {
                return batch(config, networkInputs, data.next());
            }
        };
    }

    /** One data set as a checked batch. */
    static Batch batch(LocalTrainingConfig config, int networkInputs, DataSet batch) {
        if (batch.getFeaturesMaskArray() != null || batch.getLabelsMaskArray() != null) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        INDArray[] features = {batch.getFeatures()};
        INDArray[] labels = {batch.getLabels()};
        check(config, networkInputs, features, labels);
        return new Batch(features, labels);
    }

    /** One multi-input data set as a checked batch. */
    static Batch batch(LocalTrainingConfig config, int networkInputs, MultiDataSet batch) {
        if (batch.hasMaskArrays()) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        check(config, networkInputs, batch.getFeatures(), batch.getLabels());
        return new Batch(batch.getFeatures(), batch.getLabels());
    }

    static void check(LocalTrainingConfig config, int networkInputs, INDArray[] features, INDArray[] labels) {
        if (features.length != networkInputs) {
            throw new IllegalArgumentException("The network has " + networkInputs + " inputs but the batch has "
                    + features.length + " feature arrays");
        }
        InputType[] types = config.getInputTypes();
        for (int i = 0; i < features.length && i < types.length; i++) {
            if (types[i] instanceof InputType.InputTypeConvolutional) {
                InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) types[i];
                long[] s = features[i].shape();
                if (s.length != 4 || s[1] != t.getChannels() || s[2] != t.getHeight() || s[3] != t.getWidth()) {
                    throw new IllegalArgumentException("The data does not match the network's input: expected "
                            + "[batch, " + t.getChannels() + ", " + t.getHeight() + ", " + t.getWidth() + "] (NCHW) but"
                            + " got " + Arrays.toString(s) + ". Check the dataset's channel count and image"
                            + " size against the network (e.g. grayscale data on an RGB network)");
                }
            }
        }
        long n = features[0].size(0);
        INDArray y = labels[0];
        if (y.rank() != 2 || y.size(0) != n) {
            throw new IllegalArgumentException("Labels must be one row per example, [" + n + ", numClasses], got "
                    + Arrays.toString(y.shape()));
        }
        if (y.size(1) != config.getNumClasses()) {
            throw new IllegalArgumentException("The data has " + y.size(1) + " classes but the network has "
                    + config.getNumClasses() + ": use a network whose output layer has nOut = " + y.size(1)
                    + ", or data with " + config.getNumClasses() + " classes");
        }
        INDArray rowSums = y.sum(1);
        double worst = Transforms.abs(rowSums.sub(1.0)).maxNumber().doubleValue();
        if (worst > 1e-3 || y.minNumber().doubleValue() < 0) {
            throw new IllegalArgumentException("Labels must be one-hot (or class probabilities) over "
                    + config.getNumClasses() + " classes; a row sums to " + (1 + worst) + " or has negative entries."
                    + " A class index outside [0, " + (config.getNumClasses() - 1) + "] gives an all-zero row");
        }
    }
}
