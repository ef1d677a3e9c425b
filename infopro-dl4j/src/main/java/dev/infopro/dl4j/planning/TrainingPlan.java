package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.NoArgsConstructor;
import lombok.Value;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.shade.jackson.core.JsonProcessingException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * What local training of one network will run: the complete {@link LocalTrainingConfig} (cuts resolved, method,
 * lambdas, normalisation, policies), the whole network's configuration, and for each of the K modules its
 * {@link ModuleSpec} and its DL4J configuration (backbone segment plus heads). {@link Planner} makes it from the
 * user's network and settings; executors build and train the modules from it. Immutable and JSON-serialisable
 * ({@link #toJson()}, {@link #fromJson(String)}); the DL4J configurations are held as their own JSON.
 */
@Value
@AllArgsConstructor(access = AccessLevel.PRIVATE)
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public class TrainingPlan {

    /** One module of the plan. */
    @Value
    @AllArgsConstructor(access = AccessLevel.PRIVATE)
    @NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
    public static class Module {
        /** What the module contains. */
        ModuleSpec spec;
        /** The module graph's DL4J configuration as JSON. */
        String configurationJson;
        /** Head layers whose biases get the reference's default initialisation when the module is first built. */
        List<String> headBiasLayers;
        /**
         * The configuration object the plan was made with (not serialised). Modules are built from it rather than
         * from the JSON, because DL4J's JSON form of a configuration is not always faithful: M2.1 reads a batch-norm
         * layer built with {@code useLogStd(false)} back with {@code useLogStd(true)}.
         */
        transient ComputationGraphConfiguration source;

        /** A new copy of the module graph's configuration. */
        public ComputationGraphConfiguration configuration() {
            return source != null ? source.clone() : ComputationGraphConfiguration.fromJson(configurationJson);
        }
    }

    /** Every setting of the run, with the cuts resolved. */
    LocalTrainingConfig config;
    /** The whole network's configuration as JSON (the topology that export rebuilds). */
    String networkConfigurationJson;
    /** The network configuration object the plan was made with (not serialised; see {@link Module#source}). */
    transient ComputationGraphConfiguration network;
    /** The K modules in order. */
    List<Module> modules;

    /**
     * @param config  the complete configuration
     * @param network the whole network
     * @param modules the K module configurations, as {@link GraphSplitter#split} returns them
     */
    public static TrainingPlan of(LocalTrainingConfig config, ComputationGraphConfiguration network,
                                  List<GraphSplitter.ModuleConfiguration> modules) {
        List<Module> ms = new ArrayList<>();
        for (GraphSplitter.ModuleConfiguration m : modules) {
            ms.add(new Module(m.getSpec(), m.getConfiguration().toJson(),
                    new ArrayList<>(m.getHeadBiasLayers() == null ? Set.<String>of() : m.getHeadBiasLayers()),
                    m.getConfiguration().clone()));
        }
        return new TrainingPlan(config, network.toJson(), network.clone(), Collections.unmodifiableList(ms));
    }

    /** The same plan with another configuration (e.g. a changed policy); the modules are unchanged. */
    public TrainingPlan withConfig(LocalTrainingConfig newConfig) {
        return new TrainingPlan(newConfig, networkConfigurationJson, network, modules);
    }

    /** K, the number of modules. */
    public int numModules() {
        return modules.size();
    }

    /** The specifications of the modules in order. */
    public List<ModuleSpec> moduleSpecs() {
        List<ModuleSpec> specs = new ArrayList<>();
        for (Module m : modules) {
            specs.add(m.getSpec());
        }
        return Collections.unmodifiableList(specs);
    }

    /** A new copy of the whole network's configuration. */
    public ComputationGraphConfiguration networkConfiguration() {
        return network != null ? network.clone() : ComputationGraphConfiguration.fromJson(networkConfigurationJson);
    }

    /** This plan as JSON. */
    public String toJson() {
        try {
            return LocalTrainingConfig.mapper().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the training plan as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a plan written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException when the JSON is not a plan
     */
    public static TrainingPlan fromJson(String json) {
        try {
            return LocalTrainingConfig.mapper().readValue(json, TrainingPlan.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not a valid training plan JSON: " + e.getMessage(), e);
        }
    }
}
