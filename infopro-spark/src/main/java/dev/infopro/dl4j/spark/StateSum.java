package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.engine.ModelVector;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * A model's state vector ({@link ModelVector}: parameters, batch-norm statistics, updater state) as a primitive
 * array, or the sum of several with their count: what a round broadcasts and what {@code treeAggregate} adds up.
 * Double networks travel as {@code double[]}, all others as {@code float[]}, so no ND4J array is ever serialised.
 */
final class StateSum implements Serializable {
    private static final long serialVersionUID = 1L;

    private float[] floats;
    private double[] doubles;
    /** Per module, the sum of the replicas' mean losses over their H steps. */
    private double[] scores;
    private int count;

    /** The empty sum, {@code treeAggregate}'s zero. */
    static StateSum empty() {
        return new StateSum();
    }

    /** The state of {@code model}, counted once, with its mean module losses. */
    static StateSum of(LocalModuleGraph model, double[] meanScores) {
        StateSum s = new StateSum();
        INDArray v = ModelVector.read(model, true);
        if (v.dataType() == DataType.DOUBLE) {
            s.doubles = v.toDoubleVector();
        } else {
            s.floats = v.castTo(DataType.FLOAT).toFloatVector();
        }
        v.close();
        s.scores = meanScores.clone();
        s.count = 1;
        return s;
    }

    /** Adds {@code other} into this sum (Spark lets aggregation change its left argument) and returns it. */
    StateSum add(StateSum other) {
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            floats = other.floats == null ? null : other.floats.clone();
            doubles = other.doubles == null ? null : other.doubles.clone();
            scores = other.scores.clone();
            count = other.count;
            return this;
        }
        if (floats != null) {
            for (int i = 0; i < floats.length; i++) {
                floats[i] += other.floats[i];
            }
        } else {
            for (int i = 0; i < doubles.length; i++) {
                doubles[i] += other.doubles[i];
            }
        }
        for (int k = 0; k < scores.length; k++) {
            scores[k] += other.scores[k];
        }
        count += other.count;
        return this;
    }

    /** How many states were added. */
    int count() {
        return count;
    }

    /** Number of bytes of the state vector on the wire (without Java serialisation's framing). */
    long bytes() {
        return floats != null ? 4L * floats.length : 8L * doubles.length;
    }

    /** The mean module losses. */
    double[] meanScores() {
        double[] m = scores.clone();
        for (int k = 0; k < m.length; k++) {
            m[k] /= count;
        }
        return m;
    }

    /**
     * Writes the average state into {@code model}. A single state is written as it is, so one worker's round equals
     * its replica bit for bit.
     */
    void writeAverageTo(LocalModuleGraph model) {
        if (count == 0) {
            throw new IllegalStateException("No worker returned a state: the RDD has no partitions with data");
        }
        INDArray v = floats != null ? Nd4j.createFromArray(floats) : Nd4j.createFromArray(doubles);
        if (count > 1) {
            v.divi(count);
        }
        ModelVector.write(model, v, true);
        v.close();
    }
}
