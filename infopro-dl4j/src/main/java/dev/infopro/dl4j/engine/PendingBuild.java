package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.planning.CutRequest;
import dev.infopro.dl4j.planning.InputTypes;
import dev.infopro.dl4j.planning.Planner;
import dev.infopro.dl4j.planning.TrainingPlan;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * A model checked but not yet split into modules: the user's network (a copy, so later changes to it do not leak
 * in), where to cut and the settings. Planning needs the network's input types (the heads are sized from them);
 * when neither the user nor the configuration gives them ({@link InputTypes#fromConfiguration}), the model is
 * planned and built at its first {@code fit} or {@code output} call from that batch's shapes.
 */
final class PendingBuild {
    private final ComputationGraph source;
    private final CutRequest cuts;
    private final LocalTrainingConfig settings;
    private final int memoryBatchSize;

    PendingBuild(ComputationGraph source, CutRequest cuts, LocalTrainingConfig settings, int memoryBatchSize) {
        this.source = source;
        this.cuts = cuts;
        this.settings = settings;
        this.memoryBatchSize = memoryBatchSize;
    }

    /** The same build with other settings (a policy changed before the first batch). */
    PendingBuild withSettings(LocalTrainingConfig newSettings) {
        return new PendingBuild(source, cuts, newSettings, memoryBatchSize);
    }

    LocalTrainingConfig getSettings() {
        return settings;
    }

    /** The user's network as given (its weights are those of the model until the first step). */
    ComputationGraph getSource() {
        return source;
    }

    /** K as requested (the cuts are resolved when planning). */
    int numModules() {
        return cuts.getVertices() != null ? cuts.getVertices().size() + 1 : Math.max(1, cuts.getNumModules());
    }

    /** The input types given by the user or determined by the configuration, or null. */
    InputType[] knownInputTypes() {
        return settings.getInputTypes() != null ? settings.getInputTypes()
                : InputTypes.fromConfiguration(source.getConfiguration());
    }

    /** Plans with the known input types, or with those of {@code features}. */
    TrainingPlan plan(INDArray[] features) {
        InputType[] types = knownInputTypes();
        if (types == null) {
            types = InputTypes.fromBatch(source.getConfiguration(), features);
        }
        return Planner.plan(source.getConfiguration(), cuts, settings.toBuilder().inputTypes(types).build(),
                memoryBatchSize);
    }

    /** The planned modules, initialised with the user's weights. */
    List<ComputationGraph> build(TrainingPlan plan) {
        List<ComputationGraph> graphs = new ArrayList<>();
        for (TrainingPlan.Module m : plan.getModules()) {
            graphs.add(GraphModuleTrainer.buildGraph(m, source));
        }
        return graphs;
    }
}
