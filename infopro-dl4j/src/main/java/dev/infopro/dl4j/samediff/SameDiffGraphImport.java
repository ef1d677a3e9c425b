package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.losses.InfoProLosses;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns an existing {@link SameDiff} graph (built in code, loaded with {@code SameDiff.load}, or imported from
 * TensorFlow or ONNX) into a {@link SameDiffNetwork}, so that {@link SameDiffLocalModel} can cut it by variable names
 * and train it locally. Start with {@link SameDiffNetwork#fromGraph(SameDiff)}:
 *
 * <pre>{@code
 * SameDiff graph = SameDiff.load(new File("model.fb"), true);
 * SameDiffNetwork net = SameDiffNetwork.fromGraph(graph)
 *         .input("image")                       // the [N, C, H, W] image placeholder
 *         .output("logits")                     // the network output the last module's loss reads
 *         .loss("loss", "label")                // optional: the graph's own loss and labels placeholder
 *         .build();
 * SameDiffLocalModel local = SameDiffLocalModel.builder(net).cutAfter("block1/relu", "block2/relu").build();
 * }</pre>
 *
 * <p>The units of the network are the segments between consecutive valid cut variables ({@link
 * SameDiffNetwork#getUnitNames()} lists them), so any valid cut variable is a cut point and any other name gets an
 * error that says why, e.g. which variables cross it. The graph's ops are copied into each module graph as they are,
 * with the values of its parameters (VARIABLE type: these are trained) and constants (CONSTANT type: not trained; turn
 * frozen weights into parameters with {@code graph.convertToVariables(...)} first). They run the same way in training
 * and in inference: a batch-norm op uses the statistics it is given. The graph itself is never changed, but the
 * network reads it whenever it builds a module graph or an export, so leave it unchanged while the network is used.
 */
public final class SameDiffGraphImport {
    /** Names the library uses in module graphs, which the graph's own variables and ops must not use. */
    public static final List<String> RESERVED = List.of(SameDiffNetwork.INPUT, SameDiffModuleGraphs.LABELS,
            SameDiffModuleGraphs.X01, SameDiffModuleGraphs.LOSS, SameDiffNetwork.PREDICTION, "m<k>h<i>_*");
    private static final Pattern HEAD_NAME = Pattern.compile("m\\d+h\\d+_.*");

    private SameDiffGraphImport() {
    }

    /** A builder for the network held by {@code graph}. */
    static Builder builder(SameDiff graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph must not be null");
        }
        return new Builder(graph);
    }

    /** Builder of a {@link SameDiffNetwork} from an existing graph. */
    public static final class Builder {
        private final SameDiff graph;
        private String input;
        private String output;
        private String loss;
        private String labels;
        private String prediction;
        private long[] inputShape;
        private Integer numClasses;

        private Builder(SameDiff graph) {
            this.graph = graph;
        }

        /** The image placeholder, {@code [N, C, H, W]} (default: the graph's only placeholder the output reads). */
        public Builder input(String placeholder) {
            this.input = placeholder;
            return this;
        }

        /** The network output (logits) that the last module's loss reads; required. */
        public Builder output(String variable) {
            this.output = variable;
            return this;
        }

        /**
         * Trains the last module with the graph's own loss: {@code lossVariable}, a scalar computed from the output
         * and the {@code labelsPlaceholder} (one-hot {@code [N, classes]}). Default: softmax cross-entropy on the
         * output, averaged over the batch, as the updater expects.
         */
        public Builder loss(String lossVariable, String labelsPlaceholder) {
            this.loss = lossVariable;
            this.labels = labelsPlaceholder;
            return this;
        }

        /** The graph's prediction, computed from the output (default: softmax of the output). */
        public Builder prediction(String variable) {
            this.prediction = variable;
            return this;
        }

        /** {@code [C, H, W]} of the input image, when the placeholder's shape does not give it. */
        public Builder inputShape(long channels, long height, long width) {
            this.inputShape = new long[]{channels, height, width};
            return this;
        }

        /** The number of classes (default: the output's size, found by running the graph once). */
        public Builder numClasses(int n) {
            this.numClasses = n;
            return this;
        }

        /**
         * @return the network; its units end at the graph's valid cut variables, in order, and at the output
         * @throws IllegalArgumentException when the input, output, loss or prediction do not fit the graph, or the
         *                                  graph uses a name the library reserves
         */
        public SameDiffNetwork build() {
            if (output == null) {
                throw new IllegalArgumentException("Name the network output (its logits): fromGraph(graph)"
                        + ".output(\"...\")");
            }
            String in = input != null ? input : onlyInput();
            SameDiffGraphAnalysis analysis = new SameDiffGraphAnalysis(graph, in, output);
            DataType dt = graph.getVariable(in).dataType();
            long[] chw = imageShape(in);
            List<String> bounds = new ArrayList<>(analysis.validCuts());
            bounds.add(output);
            List<List<String>> segments = new ArrayList<>(); // segment i computes bounds[i] from bounds[i - 1]
            for (int i = 0; i < bounds.size(); i++) {
                segments.add(analysis.segment(i == 0 ? null : bounds.get(i - 1), bounds.get(i)));
            }
            checkNames(analysis, segments, in);
            Map<String, String> batchNormInputs = new HashMap<>();
            for (String op : analysis.getOrder()) {
                if (graph.getOps().get(op).getOp() instanceof BatchNorm) {
                    batchNormInputs.put(op, analysis.inputsOf(op).get(0));
                }
            }
            Map<String, INDArray> probe = probe(in, dt, chw, batchNormInputs.values());
            int classes = numClasses != null ? numClasses : outputSize(probe.get(output).shape());
            // The written-out batch norms (SameDiffOpCopier) need their input's rank, known only after a run.
            Map<String, Integer> ranks = new HashMap<>();
            batchNormInputs.forEach((op, v) -> ranks.put(op, probe.get(v).rank()));
            SameDiffOutput out = output(analysis, ranks);
            SameDiffNetwork.Builder b = SameDiffNetwork.builder(chw[0], chw[1], chw[2], classes).dataType(dt)
                    .output(out).cutAdvice(name -> {
                        String why = analysis.whyNotCut(name);
                        return why == null ? "it is not a unit of this network" : why;
                    });
            for (int i = 0; i < bounds.size(); i++) {
                b.unit(bounds.get(i), unit(analysis, i == 0 ? in : bounds.get(i - 1), segments.get(i), bounds.get(i),
                        ranks));
                if (segments.get(i).stream().anyMatch(ranks::containsKey)) {
                    b.batchNormUnit(bounds.get(i));
                }
            }
            return b.build();
        }

        private String onlyInput() {
            List<String> ph = SameDiffGraphAnalysis.placeholders(graph);
            ph.remove(labels);
            if (ph.size() != 1) {
                throw new IllegalArgumentException("Name the image placeholder: fromGraph(graph).input(\"...\");"
                        + " the graph's placeholders: " + ph);
            }
            return ph.get(0);
        }

        private long[] imageShape(String in) {
            if (inputShape != null) {
                check(inputShape);
                return inputShape.clone();
            }
            long[] s = graph.getVariable(in).getShape();
            if (s == null || s.length != 4 || s[1] < 1 || s[2] < 1 || s[3] < 1) {
                throw new IllegalArgumentException("The input '" + in + "' has shape " + Arrays.toString(s)
                        + "; the library needs [N, C, H, W] images: give .inputShape(C, H, W)");
            }
            return new long[]{s[1], s[2], s[3]};
        }

        private static void check(long[] chw) {
            for (long d : chw) {
                if (d < 1) {
                    throw new IllegalArgumentException("inputShape must be positive (C, H, W), got "
                            + Arrays.toString(chw));
                }
            }
        }

        // One run of the graph on two zero images for what SameDiff knows only after execution: the output's shape
        // (unless the number of classes is given) and the given variables' values.
        private Map<String, INDArray> probe(String in, DataType dt, long[] chw, java.util.Collection<String> more) {
            List<String> names = new ArrayList<>(more);
            if (numClasses == null) {
                names.add(output);
            }
            if (names.isEmpty()) {
                return Map.of();
            }
            Map<String, INDArray> values = graph.output(Map.of(in, Nd4j.zeros(dt, 2, chw[0], chw[1], chw[2])), names);
            SessionMemory.release(graph);
            return values;
        }

        private int outputSize(long[] s) {
            if (s.length != 2) {
                throw new IllegalArgumentException("The output '" + output + "' has shape " + Arrays.toString(s)
                        + " for two images; the library needs logits [N, classes]");
            }
            return (int) s[1];
        }

        private SameDiffOutput output(SameDiffGraphAnalysis analysis, Map<String, Integer> ranks) {
            if (loss == null != (labels == null)) {
                throw new IllegalArgumentException("loss(...) needs both the loss variable and the labels placeholder");
            }
            if (labels != null && (!graph.hasVariable(labels)
                    || graph.getVariable(labels).getVariableType() != VariableType.PLACEHOLDER)) {
                throw new IllegalArgumentException("The labels '" + labels + "' are not a placeholder of the graph;"
                        + " placeholders: " + SameDiffGraphAnalysis.placeholders(graph));
            }
            List<String> lossOps = loss == null ? null : analysis.head(loss, Set.of(labels));
            List<String> predictionOps = prediction == null ? null : analysis.head(prediction, Set.of());
            SameDiffOutput standard = SameDiffOutput.softmaxCrossEntropy();
            return new SameDiffOutput() {
                @Override
                public SDVariable loss(SameDiff sd, SDVariable out, SDVariable y) {
                    if (lossOps == null) {
                        return InfoProLosses.softmaxCrossEntropy(sd, out, y);
                    }
                    copyInto(analysis, lossOps, Map.of(output, out, labels, y), sd, ranks);
                    return sd.getVariable(loss);
                }

                @Override
                public SDVariable predict(SameDiff sd, SDVariable out) {
                    if (predictionOps == null) {
                        return standard.predict(sd, out);
                    }
                    copyInto(analysis, predictionOps, Map.of(output, out), sd, ranks);
                    return sd.getVariable(prediction);
                }
            };
        }

        // The library's names must stay free in the module graphs; the input and labels placeholders are replaced.
        private void checkNames(SameDiffGraphAnalysis analysis, List<List<String>> segments, String in) {
            Set<String> used = new HashSet<>();
            for (List<String> segment : segments) {
                for (String op : segment) {
                    used.add(op);
                    used.addAll(analysis.inputsOf(op));
                    used.addAll(analysis.outputsOf(op));
                }
            }
            used.remove(in);
            for (String n : used) {
                if (RESERVED.contains(n) || HEAD_NAME.matcher(n).matches()) {
                    throw new IllegalArgumentException("The graph uses the name '" + n + "', which the library"
                            + " uses in module graphs: rename it first, e.g. graph.renameVariable(\"" + n + "\", \"my_"
                            + n + "\") (reserved: " + RESERVED + ")");
                }
            }
        }
    }

    // A unit: copies the ops that compute `to` from `source` (the input or the previous cut) into a module graph.
    private static SameDiffUnit unit(SameDiffGraphAnalysis analysis, String source, List<String> ops, String to,
                                     Map<String, Integer> ranks) {
        return (sd, x, training) -> {
            copyInto(analysis, ops, Map.of(source, x), sd, ranks);
            return sd.getVariable(to);
        };
    }

    // Copies ops of the analysed graph into sd, except the constant ops an earlier copy already put there (ops
    // computed from parameters and constants alone can be needed by several units or by the loss).
    private static void copyInto(SameDiffGraphAnalysis analysis, List<String> ops, Map<String, SDVariable> substitutes,
                                 SameDiff sd, Map<String, Integer> ranks) {
        List<String> todo = new ArrayList<>();
        for (String op : ops) {
            if (analysis.isDataOp(op) || !sd.getOps().containsKey(op)) {
                todo.add(op);
            }
        }
        SameDiffOpCopier.copy(analysis.getGraph(), todo, substitutes, sd, ranks);
    }
}
