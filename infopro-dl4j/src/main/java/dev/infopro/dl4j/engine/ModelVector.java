package dev.infopro.dl4j.engine;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a training step changes in a {@link LocalModuleGraph}, as one flat vector, and the counters: what a
 * data-parallel trainer (parameter averaging on Spark, {@code infopro-spark}) ships between replicas of one model.
 *
 * <p>The vector is every module's parameters, in module order, followed (when asked for) by every module's updater
 * state (momentum buffers etc.), in module order. Parameters include batch-norm running statistics, because DL4J
 * keeps them among a layer's parameters (the mean and the variance or log10 standard deviation, as the layer is
 * configured), so averaging the vector averages them too. It is the same state as a module trainer's
 * {@link ModuleTrainer#snapshot()}; replicas built from the same saved model lay it out identically.
 */
public final class ModelVector {
    private ModelVector() {
    }

    /**
     * The number of values {@link #read} returns.
     *
     * @param withUpdater whether the updater state is included
     */
    public static long length(LocalModuleGraph model, boolean withUpdater) {
        long n = 0;
        for (INDArray a : parts(model, withUpdater)) {
            n += a.length();
        }
        return n;
    }

    /**
     * A copy of the model's state as one row vector, in the network's data type.
     *
     * @param withUpdater whether the updater state follows the parameters
     * @throws IllegalStateException before a model without input types has seen its first batch
     */
    public static INDArray read(LocalModuleGraph model, boolean withUpdater) {
        List<INDArray> rows = new ArrayList<>();
        for (INDArray a : parts(model, withUpdater)) {
            if (a.length() > 0) {
                rows.add(a.reshape(1, a.length()));
            }
        }
        if (rows.isEmpty()) {
            return Nd4j.create(DataType.FLOAT, 1, 0);
        }
        return Nd4j.hstack(rows.toArray(new INDArray[0])); // a new array: the caller owns it
    }

    /**
     * Sets the model's state from a vector laid out as {@link #read} lays it out.
     *
     * @throws IllegalArgumentException when the vector's length does not match the model
     */
    public static void write(LocalModuleGraph model, INDArray vector, boolean withUpdater) {
        long expected = length(model, withUpdater);
        if (vector.length() != expected) {
            throw new IllegalArgumentException("The vector has " + vector.length() + " values, the model's "
                    + (withUpdater ? "parameters and updater state" : "parameters") + " have " + expected
                    + ": it comes from a different model or was read with a different withUpdater");
        }
        INDArray flat = vector.reshape(expected);
        long at = 0;
        for (INDArray a : parts(model, withUpdater)) {
            long n = a.length();
            if (n > 0) {
                a.assign(flat.get(NDArrayIndex.interval(at, at + n)).reshape(a.shape()).castTo(a.dataType()));
            }
            at += n;
        }
    }

    /**
     * Sets the iteration and epoch counters (what learning-rate schedules read), for a trainer that advances the
     * model by steps taken on its replicas.
     */
    public static void setCounters(LocalModuleGraph model, int iteration, int epoch) {
        if (iteration < 0 || epoch < 0) {
            throw new IllegalArgumentException("Counters must be >= 0, got iteration " + iteration + ", epoch " + epoch);
        }
        model.setCounters(iteration, epoch);
    }

    private static List<INDArray> parts(LocalModuleGraph model, boolean withUpdater) {
        List<ComputationGraph> graphs = model.getModules();
        List<INDArray> parts = new ArrayList<>();
        for (ComputationGraph g : graphs) {
            parts.add(g.params());
        }
        if (withUpdater) {
            for (ComputationGraph g : graphs) {
                INDArray state = g.getUpdater().getStateViewArray();
                if (state != null) {
                    parts.add(state);
                }
            }
        }
        return parts;
    }
}
