package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import lombok.Value;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Cuts a {@link ComputationGraphConfiguration} into per-module configurations: module k = the backbone vertices
 * between cut k-1 and cut k (copied unchanged, including their preprocessors), one input named like the previous
 * cut vertex, plus the auxiliary heads attached to its cut vertex. The last module keeps the original outputs.
 * ReLU layers and residual sums that may overwrite their input do so in the modules ({@link InPlaceActivations}).
 */
public final class GraphSplitter {

    /** A module's specification and its DL4J configuration. */
    @Value
    public static class ModuleConfiguration {
        ModuleSpec spec;
        ComputationGraphConfiguration configuration;
        /** Head layers whose biases get PyTorch's default init after {@code init()} (see TorchBiasInit). */
        java.util.Set<String> headBiasLayers;
    }

    /** One head to attach to a local module with its loss weight. */
    @Value
    public static class HeadAttachment {
        AuxiliaryHead head;
        double lambda;
    }

    private GraphSplitter() {
    }

    /**
     * Builds the module configurations.
     *
     * @param conf       the whole network
     * @param inputTypes the network's input types (needed to infer each module's input type)
     * @param cuts       validated cut vertices in topological order (K-1 of them)
     * @param heads      for each local module (K-1 lists) the heads to attach; heads with lambda 0 are skipped
     * @param context    task facts for the heads
     * @param updater    when non-null, replaces the updater of every layer (backbone and heads)
     * @return K module configurations
     * @throws IllegalArgumentException when a local module has no head with a non-zero lambda
     */
    public static List<ModuleConfiguration> split(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                                  List<String> cuts, List<List<HeadAttachment>> heads,
                                                  HeadContext context, IUpdater updater) {
        if (heads.size() != cuts.size()) {
            throw new IllegalArgumentException("Need one head list per local module: " + cuts.size() + " cuts, "
                    + heads.size() + " head lists");
        }
        GraphAnalysis analysis = new GraphAnalysis(conf);
        Map<String, InputType> types = activationTypes(conf, inputTypes);
        List<List<String>> moduleVertices = analysis.moduleVertices(cuts);
        IUpdater headUpdater = updater != null ? updater : firstUpdater(conf);
        List<ModuleConfiguration> out = new ArrayList<>();
        for (int k = 0; k <= cuts.size(); k++) {
            boolean last = k == cuts.size();
            List<String> inNames = k == 0 ? new ArrayList<>(conf.getNetworkInputs())
                    : Collections.singletonList(cuts.get(k - 1));
            InputType[] inTypes = k == 0 ? inputTypes : new InputType[]{types.get(cuts.get(k - 1))};

            NeuralNetConfiguration.Builder global = new NeuralNetConfiguration.Builder()
                    .dataType(conf.getDataType())
                    .seed(conf.getDefaultConfiguration().getSeed())
                    .trainingWorkspaceMode(conf.getTrainingWorkspaceMode())
                    .inferenceWorkspaceMode(conf.getInferenceWorkspaceMode())
                    .cacheMode(conf.getCacheMode())
                    .updater(headUpdater);
            ComputationGraphConfiguration.GraphBuilder gb = global.graphBuilder()
                    .validateOutputLayerConfig(conf.isValidateOutputLayerConfig());
            gb.addInputs(inNames);
            for (String v : moduleVertices.get(k)) {
                List<String> ins = conf.getVertexInputs().get(v);
                gb.addVertex(v, conf.getVertices().get(v).clone(), ins.toArray(new String[0]));
            }
            List<String> outputs = new ArrayList<>();
            java.util.Set<String> biasLayers = new java.util.HashSet<>();
            List<AuxiliaryHead.Target> targets = null;
            double[] lambdas = null;
            String cut = null;
            if (last) {
                outputs.addAll(conf.getNetworkOutputs());
            } else {
                cut = cuts.get(k);
                targets = new ArrayList<>();
                lambdas = new double[2];
                int h = 0;
                for (HeadAttachment a : heads.get(k)) {
                    if (a.getLambda() == 0.0) {
                        h++;
                        continue; // lambda 0: the head would contribute nothing, so it is not built
                    }
                    String prefix = "m" + k + "h" + h + "_";
                    String name = a.getHead().attach(gb, cut, types.get(cut), prefix, a.getLambda(), context);
                    biasLayers.addAll(a.getHead().torchBiasLayers(prefix));
                    outputs.add(name);
                    targets.add(a.getHead().target());
                    h++;
                }
                if (outputs.isEmpty()) {
                    throw new IllegalArgumentException("Local module " + (k + 1) + " (cut after '" + cut + "') has no"
                            + " local loss: every head's lambda is 0. Give it a non-zero lambda or remove the cut");
                }
                lambdas = heads.get(k).size() == 2
                        ? new double[]{heads.get(k).get(0).getLambda(), heads.get(k).get(1).getLambda()}
                        : new double[]{0.0, heads.get(k).get(0).getLambda()};
            }
            gb.setOutputs(outputs.toArray(new String[0]));
            gb.setInputTypes(inTypes);
            ComputationGraphConfiguration mc = gb.build();
            InPlaceActivations.apply(mc);
            if (updater != null) {
                for (GraphVertex gv : mc.getVertices().values()) {
                    if (gv instanceof LayerVertex && ((LayerVertex) gv).getLayerConf().getLayer() instanceof BaseLayer) {
                        BaseLayer bl = (BaseLayer) ((LayerVertex) gv).getLayerConf().getLayer();
                        bl.setIUpdater(updater.clone());
                        bl.setBiasUpdater(null);
                    }
                }
            }
            ModuleSpec spec = new ModuleSpec(k, inNames, moduleVertices.get(k), cut, outputs, targets, lambdas);
            out.add(new ModuleConfiguration(spec, mc, biasLayers));
        }
        return out;
    }

    /** Output type of every vertex of {@code conf} for the given input types (conf is not modified). */
    public static Map<String, InputType> activationTypes(ComputationGraphConfiguration conf, InputType[] inputTypes) {
        if (inputTypes == null || inputTypes.length != conf.getNetworkInputs().size()) {
            throw new IllegalArgumentException("The graph has " + conf.getNetworkInputs().size() + " input(s) "
                    + conf.getNetworkInputs() + "; give one InputType per input with inputTypes(...), e.g."
                    + " InputType.convolutional(32, 32, 3)");
        }
        return conf.clone().getLayerActivationTypes(inputTypes);
    }

    /** The updater of the first trainable layer, used for heads when the caller sets none. */
    private static IUpdater firstUpdater(ComputationGraphConfiguration conf) {
        for (GraphVertex gv : conf.getVertices().values()) {
            if (gv instanceof LayerVertex && ((LayerVertex) gv).getLayerConf().getLayer() instanceof BaseLayer) {
                IUpdater u = ((BaseLayer) ((LayerVertex) gv).getLayerConf().getLayer()).getIUpdater();
                if (u != null) {
                    return u.clone();
                }
            }
        }
        return new org.nd4j.linalg.learning.config.Sgd(1e-3);
    }
}
