package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryType;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.deeplearning4j.nn.conf.memory.NetworkMemoryReport;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Analytic training memory from DL4J's memory reports ({@code getMemoryReport(InputType...)} with
 * {@link MemoryUseMode#TRAINING} and {@link CacheMode#NONE}). A vertex that the engine runs in place
 * ({@link InPlaceActivations}) is counted without an activation of its own.
 *
 * <p>End to end, the whole graph's report is the estimate. For local training each module graph (backbone part plus
 * heads) is reported on its own: parameters, gradients and updater state of all modules add up, activations and
 * working memory count for the largest module only (see {@link MemoryEstimate}).
 *
 * <p>DL4J's report throws (at once or when totalled) for some custom layers (SameDiff layers, e.g. a bilinear
 * upsampling layer). Such a vertex
 * is counted here from its output type instead: activations and their gradients of the output, its parameters, and
 * as much updater state as parameters (momentum); its working memory is not known and not counted.
 */
public final class MemoryEstimator {
    private static final MemoryUseMode MODE = MemoryUseMode.TRAINING;
    private static final CacheMode CACHE = CacheMode.NONE;

    private MemoryEstimator() {
    }

    /**
     * DL4J's memory report of a graph, with the fallback described in the class comment for vertices whose own
     * report fails.
     */
    public static NetworkMemoryReport report(ComputationGraphConfiguration conf, InputType... inputTypes) {
        Map<String, InputType> types = GraphSplitter.activationTypes(conf, inputTypes);
        Map<String, MemoryReport> reports = new LinkedHashMap<>();
        Set<String> inPlace = InPlaceActivations.runningInPlace(conf);
        for (String v : new GraphAnalysis(conf).topologicalOrder(false)) {
            GraphVertex gv = conf.getVertices().get(v);
            List<String> ins = conf.getVertexInputs().get(v);
            InputType[] in = new InputType[ins == null ? 0 : ins.size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = types.get(ins.get(i));
            }
            MemoryReport r = vertexReport(v, gv, in, types.get(v));
            if (inPlace.contains(v) && r instanceof LayerMemoryReport) {
                // it overwrites an input instead of writing a new map: no activation of its own
                ((LayerMemoryReport) r).setOutputType(InputType.feedForward(0));
            }
            reports.put(v, r);
        }
        return new NetworkMemoryReport(reports, ComputationGraphConfiguration.class, "ComputationGraph", inputTypes);
    }

    private static MemoryReport vertexReport(String name, GraphVertex gv, InputType[] in, InputType out) {
        try {
            MemoryReport r = gv.getMemoryReport(in);
            // SameDiff layers return a report without output type that fails later; probe it here
            r.getTotalMemoryBytes(1, MODE, CACHE, DataType.FLOAT);
            return r;
        } catch (RuntimeException | AbstractMethodError e) {
            long params = gv.numParams(true);
            // the report derives activations from the output type and their gradients from the input type
            return new LayerMemoryReport.Builder(name, gv.getClass(), in.length > 0 ? in[0] : out, out)
                    .standardMemory(params, params)
                    .workingMemory(0, 0, 0, 0)
                    .cacheMemory(0, 0)
                    .build();
        }
    }

    /** Parameters + parameter gradients + updater state of a report, bytes. */
    public static long fixedBytes(MemoryReport r, DataType dt) {
        return r.getMemoryBytes(MemoryType.PARAMETERS, 1, MODE, CACHE, dt)
                + r.getMemoryBytes(MemoryType.PARAMATER_GRADIENTS, 1, MODE, CACHE, dt)
                + r.getMemoryBytes(MemoryType.UPDATER_STATE, 1, MODE, CACHE, dt);
    }

    /** Everything else in the report (activations, their gradients, working and cached memory), bytes. */
    public static long variableBytes(MemoryReport r, int batchSize, DataType dt) {
        return r.getTotalMemoryBytes(batchSize, MODE, CACHE, dt) - fixedBytes(r, dt);
    }

    /**
     * Activations, activation gradients and cached memory of a report, bytes: the part that adds up along a graph
     * (working memory is a maximum over layers, not a sum, so it is left out of additive split costs).
     */
    public static long activationBytes(MemoryReport r, int batchSize, DataType dt) {
        return r.getMemoryBytes(MemoryType.ACTIVATIONS, batchSize, MODE, CACHE, dt)
                + r.getMemoryBytes(MemoryType.ACTIVATION_GRADIENTS, batchSize, MODE, CACHE, dt)
                + r.getMemoryBytes(MemoryType.CACHED_MEMORY_FIXED, batchSize, MODE, CACHE, dt)
                + r.getMemoryBytes(MemoryType.CACHED_MEMORY_VARIABLE, batchSize, MODE, CACHE, dt);
    }

    /** End-to-end training memory of a whole graph (K = 1). */
    public static MemoryEstimate endToEnd(ComputationGraphConfiguration conf, InputType[] inputTypes, int batchSize) {
        checkBatch(batchSize);
        NetworkMemoryReport r = report(conf, inputTypes);
        DataType dt = conf.getDataType();
        return new MemoryEstimate(batchSize, fixedBytes(r, dt), new long[]{variableBytes(r, batchSize, dt)});
    }

    /** Local training memory of the modules of a plan (K = 1 gives the end-to-end estimate). */
    public static MemoryEstimate local(TrainingPlan plan, int batchSize) {
        checkBatch(batchSize);
        InputType[] netTypes = plan.getConfig().getInputTypes();
        Map<String, InputType> types = GraphSplitter.activationTypes(plan.networkConfiguration(), netTypes);
        List<ModuleSpec> specs = plan.moduleSpecs();
        long fixed = 0;
        long[] variable = new long[specs.size()];
        for (int k = 0; k < specs.size(); k++) {
            ComputationGraphConfiguration mc = plan.getModules().get(k).configuration();
            InputType[] in = k == 0 ? netTypes : new InputType[]{types.get(specs.get(k - 1).getCutVertex())};
            NetworkMemoryReport r = report(mc, in);
            DataType dt = mc.getDataType();
            fixed += fixedBytes(r, dt);
            variable[k] = variableBytes(r, batchSize, dt);
        }
        return new MemoryEstimate(batchSize, fixed, variable);
    }

    /**
     * Memory costs for the split search over {@code validCuts} (see
     * {@link dev.infopro.dl4j.config.SplitStrategy#chooseCuts(List, double[], double[], int)}).
     *
     * @param heads   the heads a local module carries at its end (may be empty: backbone only)
     * @return {segmentCost (validCuts.size()+1 entries), cutCost (validCuts.size() entries)}: activation bytes
     *         ({@link #activationBytes}) of the backbone vertices of each segment, and of the heads attached at each
     *         valid cut, for {@code batchSize}
     */
    public static double[][] splitCosts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                        List<String> validCuts, List<AuxiliaryHead> heads, HeadContext context,
                                        int batchSize) {
        checkBatch(batchSize);
        GraphAnalysis analysis = new GraphAnalysis(conf);
        NetworkMemoryReport r = report(conf, inputTypes);
        DataType dt = conf.getDataType();
        List<List<String>> segments = analysis.moduleVertices(validCuts);
        double[] segmentCost = new double[segments.size()];
        for (int i = 0; i < segmentCost.length; i++) {
            for (String v : segments.get(i)) {
                MemoryReport vr = r.getLayerAndVertexReports().get(v);
                if (vr != null) {
                    segmentCost[i] += activationBytes(vr, batchSize, dt);
                }
            }
        }
        double[] cutCost = HeadCosts.atCuts(conf, inputTypes, validCuts, heads,
                t -> headsVariableBytes(conf, t, heads, context, batchSize));
        return new double[][]{segmentCost, cutCost};
    }

    /** Activation bytes ({@link #activationBytes}) of {@code heads} reading an input of type {@code in}. */
    public static long headsVariableBytes(ComputationGraphConfiguration network, InputType in,
                                          List<AuxiliaryHead> heads, HeadContext context, int batchSize) {
        ComputationGraphConfiguration hc = headsGraph(network, in, heads, context);
        return activationBytes(report(hc, in), batchSize, hc.getDataType());
    }

    /** A graph of just {@code heads} reading one input {@code h} of type {@code in}, for cost estimates. */
    static ComputationGraphConfiguration headsGraph(ComputationGraphConfiguration network, InputType in,
                                                   List<AuxiliaryHead> heads, HeadContext context) {
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
                .dataType(network.getDataType()).graphBuilder().addInputs("h");
        List<String> outs = new ArrayList<>();
        int i = 0;
        for (AuxiliaryHead h : heads) {
            outs.add(h.attach(gb, "h", in, "cost" + (i++) + "_", 1.0, context));
        }
        gb.setOutputs(outs.toArray(new String[0])).setInputTypes(in);
        return gb.build();
    }

    private static void checkBatch(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1 for a memory estimate, got " + batchSize);
        }
    }
}
