package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.planning.GraphAnalysis;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Automatic splits only cut where the method's heads can read h_k: no decoder after global pooling. */
class HeadCompatibleCutsTest {
    private static final CifarResNet NET = CifarResNet.builder().depth(8).channels(1).height(8).width(8).build();

    private static LocalModuleGraph split(int k, SplitStrategy strategy, LocalLearning method) {
        LocalModuleGraphBuilder b = LocalModuleGraph.builder(NET.configuration())
                .inputTypes(InputType.convolutional(8, 8, 1)).modules(k, strategy).method(method);
        if (method.usesLambdas() && method.getKind() != LocalLearning.Kind.GREEDY) {
            b.lambdas(dev.infopro.dl4j.config.LambdaSchedule.linear(5, 1, 5, 1));
        }
        return b.build();
    }

    @Test
    void infoProNeverCutsAfterGlobalPooling() {
        ComputationGraphConfiguration conf = NET.configuration();
        List<String> valid = new GraphAnalysis(conf).validCuts();
        assertTrue(valid.contains("gap"), "gap separates the graph: " + valid);
        int convCuts = valid.size() - 1;
        for (SplitStrategy s : new SplitStrategy[]{SplitStrategy.EQUAL_DEPTH, SplitStrategy.BALANCED_MEMORY}) {
            List<String> cuts = split(convCuts + 1, s, LocalLearning.infoProContrast()).getConfig().getCuts();
            assertEquals(convCuts, cuts.size());
            assertFalse(cuts.contains("gap"), s + " chose " + cuts);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> split(convCuts + 2, SplitStrategy.EQUAL_DEPTH, LocalLearning.infoProContrast()));
        assertTrue(e.getMessage().contains("use fewer modules"), e.getMessage());
        // a classifier head reads a flat vector too, so greedy may cut after the pooling
        assertTrue(split(convCuts + 2, SplitStrategy.EQUAL_DEPTH, LocalLearning.greedy()).getConfig().getCuts()
                .contains("gap"));
    }
}
