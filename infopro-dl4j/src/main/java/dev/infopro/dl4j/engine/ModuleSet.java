package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.planning.TrainingPlan;
import dev.infopro.dl4j.planning.WeightTransfer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The modules of a {@link LocalModuleGraph} and what they are built from: the plan and one {@link GraphModuleTrainer}
 * per module, or, for a model whose input types are not known yet, the {@link PendingBuild} that plans and builds them
 * at the first batch; and the reconstruction target, resolved at the first training batch.
 */
final class ModuleSet {
    /** Null until the model is planned (see {@link PendingBuild}). */
    private TrainingPlan plan;
    /** Non-null while the model waits for its first batch to know its input types. */
    private PendingBuild pending;
    private List<GraphModuleTrainer> trainers = List.of();
    private List<ModuleTrainer> steps = List.of();
    private List<TrainingListener> dl4jListeners = List.of();
    /** The reconstruction target's maker, once the normalisation is known (null when no module reconstructs). */
    private ReconstructionTarget target;
    private boolean targetResolved;

    ModuleSet(TrainingPlan plan, List<ComputationGraph> graphs) {
        materialise(plan, graphs);
    }

    ModuleSet(PendingBuild pending) {
        this.pending = pending;
    }

    private void materialise(TrainingPlan newPlan, List<ComputationGraph> graphs) {
        this.plan = newPlan;
        List<GraphModuleTrainer> ts = new ArrayList<>();
        for (int k = 0; k < graphs.size(); k++) {
            GraphModuleTrainer t = new GraphModuleTrainer(newPlan.getModules().get(k).getSpec(), graphs.get(k),
                    newPlan.getConfig().getWeightDecay(), newPlan.getConfig().isReleaseNativeMemory());
            t.setListeners(dl4jListeners);
            ts.add(t);
        }
        this.trainers = Collections.unmodifiableList(ts);
        this.steps = Collections.unmodifiableList(new ArrayList<>(ts));
    }

    /** The module steps, planning and building a pending model with the input types of {@code features}. */
    List<ModuleTrainer> forBatch(INDArray[] features) {
        if (pending != null) {
            TrainingPlan p = pending.plan(features);
            materialise(p, pending.build(p));
            pending = null;
        }
        return steps;
    }

    /**
     * The module steps for training on {@code features} (from {@code source}, or null): builds a pending model and
     * resolves the reconstruction target. The configured normalisation (the user's, or one read before and saved) is
     * trusted; otherwise it is read from the iterator or is the identity, and the first batch must then be in [0, 1].
     */
    List<ModuleTrainer> forTraining(INDArray[] features, DataSetIterator source) {
        forBatch(features);
        if (!targetResolved) {
            LocalTrainingConfig config = plan.getConfig();
            boolean reconstructs = plan.moduleSpecs().stream().anyMatch(s -> s.getOutputTargets() != null
                    && s.getOutputTargets().contains(AuxiliaryHead.Target.INPUT_IMAGE));
            if (reconstructs) {
                InputType input = config.getInputTypes()[0];
                Normalization n = config.getNormalization();
                if (n == null) {
                    n = ReconstructionTarget.chooseNormalization(features[0], input, source);
                    plan = plan.withConfig(config.toBuilder().normalization(n).build());
                }
                target = new ReconstructionTarget(n, input);
            }
            targetResolved = true;
        }
        return steps;
    }

    /** The reconstruction target, once {@link #forTraining} resolved it (null when no module reconstructs). */
    ReconstructionTarget target() {
        return target;
    }

    /** The plan, or null before a pending model's first batch. */
    TrainingPlan plan() {
        return plan;
    }

    TrainingPlan requirePlan(String what) {
        if (plan == null) {
            throw new IllegalStateException(what + " needs the modules, which are built at the first fit(...) or"
                    + " output(...) call: the network's configuration does not determine its input types (DL4J keeps"
                    + " no image size for a convolution), so they are taken from the first batch. Train or run a"
                    + " batch first, or give inputTypes(...) to the builder");
        }
        return plan;
    }

    List<GraphModuleTrainer> trainers() {
        return trainers;
    }

    List<ModuleTrainer> steps() {
        return steps;
    }

    int numModules() {
        return plan == null ? pending.numModules() : trainers.size();
    }

    /** The configuration; before a pending model's first batch, the settings as given. */
    LocalTrainingConfig config() {
        return plan == null ? pending.getSettings() : plan.getConfig();
    }

    void setConfig(LocalTrainingConfig c) {
        if (plan == null) {
            pending = pending.withSettings(c);
        } else {
            plan = plan.withConfig(c);
        }
        for (GraphModuleTrainer t : trainers) {
            t.setReleaseNativeMemory(c.isReleaseNativeMemory());
        }
    }

    void setListeners(List<TrainingListener> listeners) {
        dl4jListeners = listeners;
        for (GraphModuleTrainer t : trainers) {
            t.setListeners(listeners);
        }
    }

    ComputationGraphConfiguration networkConfiguration() {
        return plan == null ? pending.getSource().getConfiguration().clone() : plan.networkConfiguration();
    }

    /** The whole network with the trained weights; before a pending model's first batch, a copy of its source. */
    ComputationGraph toComputationGraph() {
        if (plan == null) {
            return pending.getSource().clone();
        }
        ComputationGraph g = new ComputationGraph(plan.networkConfiguration());
        g.init();
        for (GraphModuleTrainer t : trainers) {
            WeightTransfer.copyMatchingLayers(t.getGraph(), g);
        }
        return g;
    }
}
