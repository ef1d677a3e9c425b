package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.heads.AuxClassifierHead;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.heads.ReconstructionHead;
import dev.infopro.dl4j.heads.SameDiffHeads;
import dev.infopro.dl4j.heads.SameDiffLayers;
import dev.infopro.dl4j.planning.ModuleSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One module of a {@link SameDiffNetwork} as SameDiff graphs: the training graph (placeholder {@code input}, which
 * stops gradients, units {@code from..to-1} with batch statistics, then the InfoPro heads of
 * {@link SameDiffHeads} with DL4J's head names {@code m<k>h<i>_} or, for the last module, the network's own loss)
 * and the inference graph (the same units on running statistics; for the last module ending in the prediction),
 * whose parameters are copied from the training graph before it runs ({@link #syncInference}). They cannot simply
 * share the arrays: {@code SDVariable.setArray} with another graph's array did not keep the instance for every
 * variable (measured in M2.1: batch-norm betas of equal value), so in-place updates would not reach them.
 */
public final class SameDiffModuleGraphs {
    /** Placeholder of the reconstruction target (the image in [0, 1]). */
    public static final String X01 = "x01";
    /** Placeholder of the one-hot labels. */
    public static final String LABELS = "labels";
    /** Name of the module's loss variable in the training graph. */
    public static final String LOSS = "loss";

    private final ModuleSpec spec;
    private final SameDiff training;
    private final SameDiff inference;
    private final String cutName;
    private final String inferenceOutputName;
    private final List<String> lossPartNames;
    private final List<String> parameterNames;
    private final List<String> batchNormNames;

    private SameDiffModuleGraphs(ModuleSpec spec, SameDiff training, SameDiff inference, String cutName,
                                 String inferenceOutputName, List<String> lossPartNames) {
        this.spec = spec;
        this.training = training;
        this.inference = inference;
        this.cutName = cutName;
        this.inferenceOutputName = inferenceOutputName;
        this.lossPartNames = List.copyOf(lossPartNames);
        List<String> params = new ArrayList<>();
        for (SDVariable v : training.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                params.add(v.name());
            }
        }
        this.parameterNames = Collections.unmodifiableList(params);
        List<String> bns = new ArrayList<>();
        for (SDVariable v : inference.variables()) {
            String n = v.name();
            if (v.getVariableType() == VariableType.CONSTANT && n.endsWith(SameDiffLayers.RUNNING_MEAN)) {
                String bn = n.substring(0, n.length() - SameDiffLayers.RUNNING_MEAN.length());
                if (training.hasVariable(bn + SameDiffLayers.BATCH_MEAN)) {
                    bns.add(bn);
                }
            }
        }
        this.batchNormNames = Collections.unmodifiableList(bns);
        for (SDVariable v : inference.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE && !training.hasVariable(v.name())) {
                throw new IllegalArgumentException("Parameter '" + v.name() + "' exists only in inference mode:"
                        + " a unit must create the same parameters whatever its training flag");
            }
        }
    }

    /**
     * Builds module {@code index} of {@code network}: units {@code from} (inclusive) to {@code to} (exclusive).
     *
     * @param last    whether it is the last module (the network's own loss)
     * @param method  the local-learning method (its heads train a local module)
     * @param lambdas {lambda1, lambda2} of a local module; ignored for the last module
     */
    public static SameDiffModuleGraphs build(SameDiffNetwork network, int index, int from, int to, boolean last,
                                             LocalLearning method, double[] lambdas) {
        List<String> units = network.getUnitNames();
        DataType dt = network.getDataType();
        long[] inShape = from == 0 ? network.getInputShape() : network.unitShapes().get(units.get(from - 1));
        String inputName = from == 0 ? SameDiffNetwork.INPUT : units.get(from - 1);

        SameDiff train = SameDiff.create();
        SDVariable in = train.placeHolder(SameDiffNetwork.INPUT, dt, withBatch(inShape));
        SDVariable h = network.define(train, in, from, to, true);
        List<String> parts = new ArrayList<>();
        List<String> outputNames = new ArrayList<>();
        List<AuxiliaryHead.Target> targets = null;
        SDVariable loss;
        if (last) {
            SDVariable y = train.placeHolder(LABELS, dt, -1, network.getNumClasses());
            loss = network.getOutput().loss(train, h, y);
            outputNames.add(LOSS);
        } else {
            targets = new ArrayList<>();
            loss = localLoss(train, h, network, index, units.get(to - 1), method, lambdas, parts, targets);
            outputNames.addAll(parts);
        }
        if (!loss.name().equals(LOSS)) { // a graph's own loss may already carry the name
            loss.rename(LOSS);
        }
        train.setLossVariables(LOSS);

        SameDiff inf = SameDiff.create();
        SDVariable inI = inf.placeHolder(SameDiffNetwork.INPUT, dt, withBatch(inShape));
        SDVariable out = network.define(inf, inI, from, to, false);
        if (last) {
            out = network.getOutput().predict(inf, out);
        }
        ModuleSpec spec = new ModuleSpec(index, List.of(inputName), new ArrayList<>(units.subList(from, to)),
                last ? null : units.get(to - 1), outputNames, targets, last ? null : lambdas.clone());
        return new SameDiffModuleGraphs(spec, train, inf, last ? null : h.name(), out.name(), parts);
    }

    // lambda1 * BCE(decoder) + lambda2 * head loss, with the heads named as DL4J names them (GraphSplitter): head
    // index i of module k is m<k>h<i>_, counting the reconstruction head first when the method has one.
    static SDVariable localLoss(SameDiff sd, SDVariable h, SameDiffNetwork network, int k, String cut,
                                        LocalLearning method, double[] lambdas, List<String> parts,
                                        List<AuxiliaryHead.Target> targets) {
        long[] hs = network.unitShapes().get(cut);
        if (hs.length != 3) {
            throw new IllegalArgumentException("Cut after '" + cut + "': its output must be [N, C, H, W] for the "
                    + "InfoPro heads, got per-example shape " + Arrays.toString(hs));
        }
        AuxiliaryHead rec = method.getReconstructionHead();
        AuxiliaryHead lab = method.getLabelHead();
        if (lab == null) {
            throw new IllegalArgumentException(method.getKind() + " has no local modules: use K = 1 (no cuts)");
        }
        if (rec != null && !(rec instanceof ReconstructionHead) || !(lab instanceof AuxClassifierHead)) {
            throw new IllegalArgumentException("SameDiff modules support the library's ReconstructionHead and "
                    + "AuxClassifierHead, got " + rec + " and " + lab);
        }
        ReconstructionHead decoder = rec != null && lambdas[0] != 0.0 ? (ReconstructionHead) rec : null;
        AuxClassifierHead head = lambdas[1] != 0.0 ? (AuxClassifierHead) lab : null;
        if (decoder == null && head == null) {
            throw new IllegalArgumentException("Local module " + (k + 1) + " (cut after '" + cut + "') has no local"
                    + " loss: every head's lambda is 0. Give it a non-zero lambda or remove the cut");
        }
        long[] image = network.getInputShape();
        HeadContext ctx = HeadContext.builder().numClasses(network.getNumClasses()).imageChannels(image[0])
                .imageHeight(image[1]).imageWidth(image[2]).build();
        DataType dt = network.getDataType();
        // Get-or-create: a graph with several local losses (the StopGradient oracle) shares the placeholders.
        SDVariable x01 = decoder == null ? null : sd.hasVariable(X01) ? sd.getVariable(X01)
                : sd.placeHolder(X01, dt, withBatch(image));
        SDVariable y = head == null ? null : sd.hasVariable(LABELS) ? sd.getVariable(LABELS)
                : sd.placeHolder(LABELS, dt, -1, network.getNumClasses());
        String decPrefix = "m" + k + "h0_";
        String headPrefix = "m" + k + "h" + (rec != null ? 1 : 0) + "_";
        if (decoder != null) {
            parts.add(decPrefix + "loss");
            targets.add(AuxiliaryHead.Target.INPUT_IMAGE);
        }
        if (head != null) {
            parts.add(headPrefix + "loss");
            targets.add(AuxiliaryHead.Target.CLASS_LABELS);
        }
        return SameDiffHeads.infoPro(sd, h, x01, y, lambdas[0], lambdas[1], decoder, head, hs[0], hs[1], hs[2], ctx,
                decPrefix, headPrefix);
    }

    static long[] withBatch(long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = -1;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /** Copies the training graph's parameters into the inference graph, which must run on the trained weights. */
    void syncInference() {
        for (String p : parameterNames) {
            if (inference.hasVariable(p)) {
                inference.getArrForVarName(p).assign(training.getArrForVarName(p));
            }
        }
    }

    /** The placeholders of a step: the module input and the labels of each output, as the executor hands them. */
    Map<String, INDArray> placeholders(INDArray[] inputs, INDArray[] labels) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(SameDiffNetwork.INPUT, inputs[0]);
        if (spec.isLast()) {
            ph.put(LABELS, labels[0]);
        } else {
            for (int o = 0; o < spec.getOutputTargets().size(); o++) {
                boolean image = spec.getOutputTargets().get(o) == AuxiliaryHead.Target.INPUT_IMAGE;
                ph.put(image ? X01 : LABELS, labels[o]);
            }
        }
        return ph;
    }

    /** What the module contains, in the engine's terms (outputs are the head losses). */
    public ModuleSpec getSpec() {
        return spec;
    }

    /** The training graph (units with batch statistics and the loss). */
    public SameDiff getTraining() {
        return training;
    }

    /** The inference graph (units on running statistics; parameters copied from the training graph). */
    public SameDiff getInference() {
        return inference;
    }

    /** The training graph's variable of h_k, or null for the last module. */
    public String getCutName() {
        return cutName;
    }

    /** The inference graph's output: h_k, or the network's prediction for the last module. */
    public String getInferenceOutputName() {
        return inferenceOutputName;
    }

    /** The loss variable of the training graph. */
    public String getLossName() {
        return LOSS;
    }

    /** The unweighted head losses of a local module (empty for the last module). */
    public List<String> getLossPartNames() {
        return lossPartNames;
    }

    /** The trainable parameters (the training graph's variables), heads included. */
    public List<String> parameterNames() {
        return parameterNames;
    }

    /** The backbone's batch-norm layers, whose running statistics the inference graph holds. */
    public List<String> batchNormNames() {
        return batchNormNames;
    }

    /**
     * Everything a step changes except updater state, live, by name: the parameters and the running statistics
     * ({@code <bn>_mean}, {@code <bn>_var}).
     */
    public Map<String, INDArray> stateArrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String p : parameterNames) {
            m.put(p, training.getArrForVarName(p));
        }
        for (String bn : batchNormNames) {
            m.put(bn + SameDiffLayers.RUNNING_MEAN, inference.getArrForVarName(bn + SameDiffLayers.RUNNING_MEAN));
            m.put(bn + SameDiffLayers.RUNNING_VAR, inference.getArrForVarName(bn + SameDiffLayers.RUNNING_VAR));
        }
        return m;
    }
}
