package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Runs of a dense float or double array's elements, read and written as doubles from Java, for the loops that this
 * library computes in Java where libnd4j M2.1 is slow (batch norm, bilinear upsampling). Element {@code k} is the
 * {@code k}-th in C order. Safe for concurrent use on disjoint runs.
 */
public abstract class ArrayElements {

    private ArrayElements() {
    }

    /**
     * Whether {@code a} can be read directly: float or double, dense in C order (dimensions of size 1 aside), no
     * offset. Otherwise copy it first, e.g. with {@code dup('c')}.
     */
    public static boolean readable(INDArray a) {
        return (a.dataType() == DataType.FLOAT || a.dataType() == DataType.DOUBLE) && a.offset() == 0
                && denseInCOrder(a) && a.data().length() >= a.length();
    }

    /**
     * Whether {@code a}'s elements lie one after the other in C order from its offset on (its strides are C order's,
     * dimensions of size 1 aside: ND4J's {@code Shape.hasDefaultStridesForShape} rejects [N, C, 1, 1] with strides
     * [C, 1, 1, 1]).
     */
    static boolean denseInCOrder(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    /**
     * {@code a} itself when it is {@link #readable(INDArray)} and of {@code type}, else a dense C-order copy of it in
     * {@code type}, placed in the workspace for {@code arrayType}.
     */
    public static INDArray readableAs(INDArray a, DataType type, LayerWorkspaceMgr workspaceMgr, ArrayType arrayType) {
        if (readable(a) && a.dataType() == type) {
            return a;
        }
        return workspaceMgr.dup(arrayType, a.dataType() == type ? a : a.castTo(type), 'c');
    }

    /**
     * The elements of {@code a}.
     *
     * @throws IllegalArgumentException when {@code a} is not {@link #readable(INDArray)}
     */
    public static ArrayElements of(INDArray a) {
        if (!readable(a)) {
            throw new IllegalArgumentException("need a float or double array, dense in C order, with no offset; got "
                    + a.shapeInfoToString().replace('\n', ' ') + " (copy it with dup('c') first)");
        }
        return a.dataType() == DataType.DOUBLE ? new Doubles(a.data().asNioDouble())
                : new Floats(a.data().asNioFloat());
    }

    /** Reads {@code run.length} elements from element {@code offset} on into {@code run}. */
    public abstract void read(long offset, double[] run);

    /** Writes {@code run} to the {@code run.length} elements from element {@code offset} on. */
    public abstract void write(long offset, double[] run);

    private static final class Doubles extends ArrayElements {
        private final DoubleBuffer buffer;

        Doubles(DoubleBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void read(long offset, double[] run) {
            buffer.get(Math.toIntExact(offset), run, 0, run.length);
        }

        @Override
        public void write(long offset, double[] run) {
            buffer.put(Math.toIntExact(offset), run, 0, run.length);
        }
    }

    private static final class Floats extends ArrayElements {
        // one per thread for all arrays: a read or write uses it only for its own copy
        private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();
        private final FloatBuffer buffer;

        Floats(FloatBuffer buffer) {
            this.buffer = buffer;
        }

        private static float[] scratch(int length) {
            float[] s = SCRATCH.get();
            if (s == null || s.length < length) {
                s = new float[length];
                SCRATCH.set(s);
            }
            return s;
        }

        @Override
        public void read(long offset, double[] run) {
            float[] s = scratch(run.length);
            buffer.get(Math.toIntExact(offset), s, 0, run.length);
            for (int k = 0; k < run.length; k++) {
                run[k] = s[k];
            }
        }

        @Override
        public void write(long offset, double[] run) {
            float[] s = scratch(run.length);
            for (int k = 0; k < run.length; k++) {
                s[k] = (float) run[k];
            }
            buffer.put(Math.toIntExact(offset), s, 0, run.length);
        }
    }
}
