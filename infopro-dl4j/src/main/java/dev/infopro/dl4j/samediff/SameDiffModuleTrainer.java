package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.engine.ModuleStepResult;
import dev.infopro.dl4j.engine.ModuleTrainer;
import dev.infopro.dl4j.heads.SameDiffLayers;
import dev.infopro.dl4j.optim.CoupledWeightDecay;
import dev.infopro.dl4j.planning.ModuleSpec;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link ModuleTrainer} of a module that is a pair of SameDiff graphs ({@link SameDiffModuleGraphs}): the
 * training graph (a placeholder for the module input, which is a true gradient cut, the module's units with batch
 * statistics, and the local loss) and the inference graph (the same units on running statistics, no heads), which
 * gets the training graph's parameters before it runs.
 *
 * <p>A step is SameDiff's {@code calculateGradientsAndOutputs} (the loss, the cut activation h_k and the batch
 * moments in the same pass as the gradients), then, once the executor accepts the batch, the shared coupled weight
 * decay ({@link CoupledWeightDecay}), the configured DL4J updater rule (e.g. {@code TorchSgd}) applied per parameter
 * exactly as DL4J applies it to a gradient view, the parameter step, and the running-statistics update (PyTorch
 * momentum 0.1, i.e. DL4J decay 0.9, unbiased batch variance, docs/method.md §2.1). SameDiff's loss is the batch
 * mean, so its gradient already is the mean gradient that the weight decay and updater expect.
 */
public final class SameDiffModuleTrainer implements ModuleTrainer {
    /** Running average factor of batch norm: PyTorch's momentum 0.1. */
    static final double BN_MOMENTUM = 0.1;

    private final SameDiffModuleGraphs graphs;
    private final double weightDecay;
    private final Map<String, INDArray> updaterStates = new LinkedHashMap<>();
    private final Map<String, GradientUpdater> updaters = new LinkedHashMap<>();
    private Map<String, INDArray> gradients;
    private Map<String, INDArray> batchMoments;
    private Map<String, Double> lossParts = Map.of();
    /** Whether parameters changed since the inference graph last copied them. */
    private boolean inferenceStale = true;

    /**
     * @param graphs      the module's graphs
     * @param updater     the updater rule, one instance (and state) per parameter
     * @param weightDecay coupled weight decay on every parameter
     */
    public SameDiffModuleTrainer(SameDiffModuleGraphs graphs, IUpdater updater, double weightDecay) {
        this.graphs = graphs;
        this.weightDecay = weightDecay;
        for (String p : graphs.parameterNames()) {
            INDArray w = graphs.getTraining().getArrForVarName(p);
            long size = updater.stateSize(w.length());
            // DL4J hands updaters flat [1, n] views; the state has the same layout.
            INDArray state = size > 0 ? Nd4j.zeros(w.dataType(), 1, size) : null;
            updaters.put(p, updater.clone().instantiate(state, true));
            if (state != null) {
                updaterStates.put(p, state);
            }
        }
    }

    @Override
    public ModuleSpec getSpec() {
        return graphs.getSpec();
    }

    /** The module's graphs. */
    public SameDiffModuleGraphs getGraphs() {
        return graphs;
    }

    /** Updater state arrays by parameter name (live; parameters whose rule has no state are absent). */
    public Map<String, INDArray> getUpdaterStates() {
        return Collections.unmodifiableMap(updaterStates);
    }

    /**
     * The gradients of the last {@link #computeGradient} by parameter name (mean over the batch, before weight decay
     * and the updater); valid until {@link #applyUpdate}, which turns them into the update in place.
     */
    public Map<String, INDArray> getGradients() {
        return gradients == null ? Map.of() : Collections.unmodifiableMap(gradients);
    }

    /** The unweighted head losses of the last step by name ({@code m<k>h<i>_loss}); empty for the last module. */
    public Map<String, Double> getLossParts() {
        return lossParts;
    }

    @Override
    public ModuleStepResult computeGradient(INDArray[] inputs, INDArray[] labels, int iteration, int epoch) {
        Map<String, INDArray> ph = graphs.placeholders(inputs, labels);
        List<String> outputs = new ArrayList<>();
        outputs.add(graphs.getLossName());
        outputs.addAll(graphs.getLossPartNames());
        if (graphs.getCutName() != null) {
            outputs.add(graphs.getCutName());
        }
        for (String bn : graphs.batchNormNames()) {
            outputs.add(bn + SameDiffLayers.BATCH_MEAN);
            outputs.add(bn + SameDiffLayers.BATCH_VAR);
        }
        SameDiff train = graphs.getTraining();
        if (train.getFunction(SessionMemory.GRAD_FUNCTION) == null) {
            train.createGradFunction();
        }
        SessionMemory.bound(train);
        SessionMemory.bound(train.getFunction(SessionMemory.GRAD_FUNCTION));
        OutAndGrad r = train.calculateGradientsAndOutputs(ph, outputs, graphs.parameterNames());
        Map<String, INDArray> out = r.getOutputs();
        double score = out.get(graphs.getLossName()).getDouble(0);
        Map<String, Double> parts = new LinkedHashMap<>();
        for (String n : graphs.getLossPartNames()) {
            parts.put(n, out.get(n).getDouble(0));
        }
        lossParts = Collections.unmodifiableMap(parts);
        gradients = new HashMap<>(r.getGradients());
        batchMoments = new HashMap<>();
        for (String bn : graphs.batchNormNames()) {
            batchMoments.put(bn + SameDiffLayers.BATCH_MEAN, out.get(bn + SameDiffLayers.BATCH_MEAN));
            batchMoments.put(bn + SameDiffLayers.BATCH_VAR, out.get(bn + SameDiffLayers.BATCH_VAR));
        }
        // The step's arrays stay reachable after the call: the gradient function's session keeps every op's
        // output (nodeValueOutputs) and an OpContext holding its input and output arrays, until its next call. With
        // K modules that kept K whole steps alive, so the K = 4 peak exceeded K = 1 (measured, docs/samediff.md).
        // Drop the sessions, then collect, so that only one module's activations are ever alive.
        SessionMemory.release(train);
        SessionMemory.release(train.getFunction(SessionMemory.GRAD_FUNCTION));
        System.gc();
        NativeHeap.trim(); // and hand the freed pages back to the OS, as the DL4J trainer does after each module
        String bad = nonFinite(score);
        if (bad != null) {
            discardGradient();
            return new ModuleStepResult(score, bad, null);
        }
        // A copy owned by the caller: the session's memory manager may reuse the array it returned.
        INDArray cut = graphs.getCutName() == null ? null : out.get(graphs.getCutName()).dup();
        return new ModuleStepResult(score, null, cut);
    }

    private String nonFinite(double score) {
        if (!Double.isFinite(score)) {
            return "loss = " + score;
        }
        for (Map.Entry<String, INDArray> g : gradients.entrySet()) {
            if (BooleanIndexing.or(g.getValue(), Conditions.notFinite())) {
                return "a NaN or infinite gradient of " + g.getKey() + " (loss = " + score + ")";
            }
        }
        return null;
    }

    @Override
    public void applyUpdate(int iteration, int epoch, int batchSize) {
        if (gradients == null) {
            throw new IllegalStateException("applyUpdate without a kept gradient: call computeGradient first");
        }
        SameDiff train = graphs.getTraining();
        for (String p : graphs.parameterNames()) {
            INDArray w = train.getArrForVarName(p);
            INDArray g = gradients.get(p);
            if (g == null) {
                throw new IllegalStateException("No gradient for parameter '" + p + "': it does not reach the loss");
            }
            g = g.dup('c');
            CoupledWeightDecay.apply(w, g, weightDecay);
            INDArray flat = g.reshape('c', 1, g.length());
            updaters.get(p).applyUpdater(flat, iteration, epoch);
            w.subi(flat.reshape('c', w.shape()));
        }
        SameDiff inf = graphs.getInference();
        for (String bn : graphs.batchNormNames()) {
            INDArray mean = inf.getArrForVarName(bn + SameDiffLayers.RUNNING_MEAN);
            INDArray var = inf.getArrForVarName(bn + SameDiffLayers.RUNNING_VAR);
            mean.muli(1 - BN_MOMENTUM).addi(batchMoments.get(bn + SameDiffLayers.BATCH_MEAN).mul(BN_MOMENTUM));
            var.muli(1 - BN_MOMENTUM).addi(batchMoments.get(bn + SameDiffLayers.BATCH_VAR).mul(BN_MOMENTUM));
        }
        inferenceStale = true;
        discardGradient();
    }

    /** Tells the trainer that its parameters were changed from outside (restored), so inference copies them. */
    void parametersChanged() {
        inferenceStale = true;
    }

    @Override
    public void discardGradient() {
        gradients = null;
        batchMoments = null;
    }

    @Override
    public INDArray[] output(INDArray[] inputs) {
        if (inferenceStale) {
            graphs.syncInference();
            inferenceStale = false;
        }
        SessionMemory.bound(graphs.getInference());
        String out = graphs.getInferenceOutputName();
        INDArray y = graphs.getInference().output(Map.of(SameDiffNetwork.INPUT, inputs[0]), out).get(out).dup();
        // The session would keep this pass's arrays alive until the next call (see computeGradient).
        SessionMemory.release(graphs.getInference());
        return new INDArray[]{y};
    }

    @Override
    public void setCounters(int iteration, int epoch) {
        // Counters reach the updater as arguments of applyUpdate; nothing else reads them.
    }

    @Override
    public void endEpoch() {
        // SameDiff modules have no DL4J listeners to tell.
    }

    @Override
    public Snapshot snapshot() {
        Map<String, INDArray> copy = new HashMap<>();
        graphs.stateArrays().forEach((k, v) -> copy.put(k, v.dup()));
        updaterStates.forEach((k, v) -> copy.put("updater/" + k, v.dup()));
        return new StateSnapshot(copy);
    }

    @Override
    public void restore(Snapshot snapshot) {
        Map<String, INDArray> s = ((StateSnapshot) snapshot).arrays;
        graphs.stateArrays().forEach((k, v) -> v.assign(s.get(k)));
        updaterStates.forEach((k, v) -> v.assign(s.get("updater/" + k)));
        inferenceStale = true;
    }

    /** Copies of a module's parameters, running statistics and updater state. */
    private static final class StateSnapshot implements Snapshot {
        private final Map<String, INDArray> arrays;

        StateSnapshot(Map<String, INDArray> arrays) {
            this.arrays = arrays;
        }

        @Override
        public void close() {
            arrays.values().forEach(INDArray::close);
        }
    }

    @Override
    public void resetWorkspaceSizing() {
        // SameDiff sizes no DL4J workspaces.
    }
}
