package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.checkpoint.CheckpointTestNets;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan is a JSON value; settings and policies travel with it; a model saves its policies. */
class TrainingPlanTest {

    @Test
    void planRoundTripsThroughJson() {
        TrainingPlan plan = CheckpointTestNets.model().getPlan();
        TrainingPlan back = TrainingPlan.fromJson(plan.toJson());
        assertEquals(plan.getConfig(), back.getConfig());
        assertEquals(plan.moduleSpecs(), back.moduleSpecs());
        assertEquals(2, back.numModules());
        assertEquals(List.of("bn0"), back.getConfig().getCuts());
        for (int k = 0; k < plan.numModules(); k++) {
            assertEquals(plan.getModules().get(k).getConfigurationJson(),
                    back.getModules().get(k).getConfigurationJson());
            assertEquals(plan.getModules().get(k).configuration().getVertices().keySet(),
                    back.getModules().get(k).configuration().getVertices().keySet());
        }
        assertEquals(plan.networkConfiguration().getVertices().keySet(),
                back.networkConfiguration().getVertices().keySet());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPlan.fromJson("[1"));
        assertTrue(e.getMessage().startsWith("Not a valid training plan JSON"), e.getMessage());
    }

    @Test
    void policiesArePartOfTheSavedConfiguration() throws Exception {
        LocalModuleGraph m = CheckpointTestNets.model();
        assertEquals(OnNonFinite.STOP, m.getOnNonFinite());
        assertTrue(m.isReleaseNativeMemory());
        m.setOnNonFinite(OnNonFinite.SKIP_BATCH);
        m.setReleaseNativeMemory(false);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        m.save(bytes);
        LocalModuleGraph back = LocalModuleGraph.load(new java.io.ByteArrayInputStream(bytes.toByteArray()), "test");
        assertEquals(OnNonFinite.SKIP_BATCH, back.getOnNonFinite());
        assertFalse(back.isReleaseNativeMemory());
        assertEquals(m.getConfig(), back.getConfig());
    }

    @Test
    void configurationsWithoutPoliciesReadAsTheDefaults() throws Exception {
        // a configuration saved before the policies were part of it
        org.nd4j.shade.jackson.databind.node.ObjectNode tree = (org.nd4j.shade.jackson.databind.node.ObjectNode)
                LocalTrainingConfig.mapper().readTree(LocalTrainingConfig.builder().weightDecay(1e-4).build().toJson());
        tree.remove("onNonFinite");
        tree.remove("releaseNativeMemory");
        String json = LocalTrainingConfig.mapper().writeValueAsString(tree);
        assertFalse(json.contains("onNonFinite") || json.contains("releaseNativeMemory"), json);
        LocalTrainingConfig c = LocalTrainingConfig.fromJson(json);
        assertEquals(OnNonFinite.STOP, c.getOnNonFinite());
        assertTrue(c.isReleaseNativeMemory());
        IllegalArgumentException wd = assertThrows(IllegalArgumentException.class,
                () -> LocalTrainingConfig.builder().weightDecay(-1).build());
        assertTrue(wd.getMessage().contains("weightDecay must be finite and >= 0"), wd.getMessage());
    }
}
