package dev.infopro.dl4j.samediff;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import dev.infopro.dl4j.heads.SameDiffLayers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A network written as a chain of named {@link SameDiffUnit}s (input image {@code [N, C, H, W]} to the last unit's
 * output) and its own loss ({@link SameDiffOutput}). Local training cuts it after units: a cut after unit {@code u}
 * hands u's output to the next module, so the cut is valid by construction (nothing but u's output crosses it).
 *
 * <pre>{@code
 * SameDiffNetwork net = SameDiffNetwork.builder(1, 28, 28, 10)
 *         .unit("block1", (sd, x, training) -> sd.nn.relu(SameDiffLayers.batchNorm(sd,
 *                 SameDiffLayers.conv(sd, x, "conv1", 1, 16, 3, 1, false), "bn1", 16, training), 0))
 *         .unit("fc", (sd, x, training) -> SameDiffLayers.dense(sd, x.mean(2, 3), "fc", 16, 10))
 *         .output(SameDiffOutput.softmaxCrossEntropy())
 *         .build();
 * }</pre>
 */
public final class SameDiffNetwork {
    /** Name of the image placeholder in every graph built from a network. */
    public static final String INPUT = "input";
    /** Name of the prediction in the plain graph ({@link #inferenceGraph()}). */
    public static final String PREDICTION = "prediction";

    private final long[] inputShape;
    private final int numClasses;
    private final DataType dataType;
    private final List<String> unitNames;
    private final List<SameDiffUnit> units;
    private final SameDiffOutput output;
    private final UnaryOperator<String> cutAdvice;
    private final Set<String> batchNormUnits;
    private Map<String, long[]> shapes;

    private SameDiffNetwork(Builder b) {
        this.inputShape = b.inputShape;
        this.numClasses = b.numClasses;
        this.dataType = b.dataType;
        this.unitNames = Collections.unmodifiableList(new ArrayList<>(b.units.keySet()));
        this.units = Collections.unmodifiableList(new ArrayList<>(b.units.values()));
        this.output = b.output;
        this.cutAdvice = b.cutAdvice;
        this.batchNormUnits = Set.copyOf(b.batchNormUnits);
    }

    /**
     * @param channels   input image channels
     * @param height     input image height
     * @param width      input image width
     * @param numClasses number of classes (size of the one-hot labels)
     */
    public static Builder builder(long channels, long height, long width, int numClasses) {
        return new Builder(new long[]{channels, height, width}, numClasses);
    }

    /**
     * A network that trains an existing graph (built in code, loaded, or imported from TensorFlow or ONNX), cut at
     * its variables; see {@link SameDiffGraphImport}.
     */
    public static SameDiffGraphImport.Builder fromGraph(SameDiff graph) {
        return SameDiffGraphImport.builder(graph);
    }

    /** {@code [C, H, W]} of the input image. */
    public long[] getInputShape() {
        return inputShape.clone();
    }

    /** Number of classes. */
    public int getNumClasses() {
        return numClasses;
    }

    /** Data type of parameters and activations. */
    public DataType getDataType() {
        return dataType;
    }

    /** The units' names in order: the valid cut points are all but the last. */
    public List<String> getUnitNames() {
        return unitNames;
    }

    /** The unit called {@code name}. */
    public SameDiffUnit unit(String name) {
        int i = unitNames.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("No unit '" + name + "'; units: " + unitNames);
        }
        return units.get(i);
    }

    /** Why {@code name} is not a cut point of this network, for error messages. */
    String whyNotCut(String name) {
        return cutAdvice != null ? cutAdvice.apply(name) : "no such unit";
    }

    /** The network's own loss and prediction. */
    public SameDiffOutput getOutput() {
        return output;
    }

    /**
     * Adds units {@code from} (inclusive) to {@code to} (exclusive) to {@code sd}, starting from {@code input}.
     *
     * @return the output of unit {@code to - 1}
     */
    public SDVariable define(SameDiff sd, SDVariable input, int from, int to, boolean training) {
        SDVariable x = input;
        for (int i = from; i < to; i++) {
            x = units.get(i).define(sd, x, training);
        }
        return x;
    }

    /**
     * The plain inference graph of the whole network (placeholder {@link #INPUT}, batch norm on running statistics,
     * no heads) with freshly initialised parameters; its prediction is named {@code "prediction"}.
     */
    public SameDiff inferenceGraph() {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder(INPUT, dataType, -1, inputShape[0], inputShape[1], inputShape[2]);
        SDVariable p = output.predict(sd, define(sd, in, 0, units.size(), false));
        if (!p.name().equals(PREDICTION)) {
            p.rename(PREDICTION);
        }
        return sd;
    }

    /**
     * The shape of every unit's output for one image ({@code [C, H, W]} or {@code [F]}), found once by running the
     * inference graph on a batch of two zero images (SameDiff knows op output shapes only after execution).
     */
    public synchronized Map<String, long[]> unitShapes() {
        if (shapes == null) {
            SameDiff sd = SameDiff.create();
            SDVariable in = sd.placeHolder(INPUT, dataType, -1, inputShape[0], inputShape[1], inputShape[2]);
            List<String> outs = new ArrayList<>();
            SDVariable x = in;
            for (SameDiffUnit u : units) {
                x = u.define(sd, x, false);
                outs.add(x.name());
            }
            INDArray zeros = Nd4j.zeros(dataType, 2, inputShape[0], inputShape[1], inputShape[2]);
            Map<String, INDArray> res = sd.output(Map.of(INPUT, zeros), outs);
            Map<String, long[]> m = new LinkedHashMap<>();
            for (int i = 0; i < units.size(); i++) {
                long[] s = res.get(outs.get(i)).shape();
                m.put(unitNames.get(i), Arrays.copyOfRange(s, 1, s.length));
            }
            shapes = Collections.unmodifiableMap(m);
        }
        return shapes;
    }

    /**
     * Whether units {@code from} (inclusive) to {@code to} (exclusive) hold a batch norm: one of
     * {@link SameDiffLayers#batchNorm}, or, in a network made from a graph, SameDiff's {@code batchnorm} op. The
     * default lambdas depend on it, as on the DL4J path ({@link dev.infopro.dl4j.config.LambdaSchedule#defaultFor}).
     */
    public boolean hasBatchNorm(int from, int to) {
        for (int i = from; i < to; i++) {
            if (batchNormUnits.contains(unitNames.get(i))) {
                return true;
            }
        }
        SameDiff sd = SameDiff.create();
        long[] in = from == 0 ? inputShape : unitShapes().get(unitNames.get(from - 1));
        define(sd, sd.placeHolder(INPUT, dataType, SameDiffModuleGraphs.withBatch(in)), from, to, false);
        for (SDVariable v : sd.variables()) {
            String n = v.name();
            if (v.getVariableType() == VariableType.CONSTANT && n.endsWith(SameDiffLayers.RUNNING_MEAN)
                    && sd.hasVariable(n.substring(0, n.length() - SameDiffLayers.RUNNING_MEAN.length()) + "_gamma")) {
                return true;
            }
        }
        return false;
    }

    /** Builder of a {@link SameDiffNetwork}. */
    public static final class Builder {
        private final long[] inputShape;
        private final int numClasses;
        private final Map<String, SameDiffUnit> units = new LinkedHashMap<>();
        private SameDiffOutput output = SameDiffOutput.softmaxCrossEntropy();
        private DataType dataType = DataType.FLOAT;
        private UnaryOperator<String> cutAdvice;
        private final Set<String> batchNormUnits = new HashSet<>();

        private Builder(long[] inputShape, int numClasses) {
            for (long d : inputShape) {
                if (d < 1) {
                    throw new IllegalArgumentException("Input shape must be positive [C, H, W], got "
                            + Arrays.toString(inputShape));
                }
            }
            if (numClasses < 2) {
                throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
            }
            this.inputShape = inputShape;
            this.numClasses = numClasses;
        }

        /** Appends a unit; names are unique and are the cut points. */
        public Builder unit(String name, SameDiffUnit unit) {
            if (name == null || name.isEmpty() || unit == null) {
                throw new IllegalArgumentException("A unit needs a non-empty name and a function");
            }
            if (units.containsKey(name)) {
                throw new IllegalArgumentException("Duplicate unit name '" + name + "'");
            }
            units.put(name, unit);
            return this;
        }

        /** The network's own loss (default: softmax cross-entropy on logits). */
        public Builder output(SameDiffOutput out) {
            this.output = out;
            return this;
        }

        /** Data type of parameters and activations (default FLOAT). */
        public Builder dataType(DataType dt) {
            this.dataType = dt;
            return this;
        }

        // How a network made from a graph explains a name that is not one of its cut points.
        Builder cutAdvice(UnaryOperator<String> advice) {
            this.cutAdvice = advice;
            return this;
        }

        // Units that hold a batch norm the scratch-graph check cannot see (a graph's batchnorm op, written out).
        Builder batchNormUnit(String unit) {
            batchNormUnits.add(unit);
            return this;
        }

        /** @return the network; it needs at least one unit */
        public SameDiffNetwork build() {
            if (units.isEmpty() || output == null) {
                throw new IllegalArgumentException("A SameDiffNetwork needs at least one unit and an output");
            }
            return new SameDiffNetwork(this);
        }
    }
}
