package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The cost of the heads a module ending at each valid cut carries, for the balanced split searches. */
final class HeadCosts {
    private HeadCosts() {
    }

    /**
     * @param cost the cost of the heads reading an input of a given type (computed once per distinct type: heads
     *             cost the same for equal input types)
     * @return one cost per valid cut; zeros when there are no heads
     */
    static double[] atCuts(ComputationGraphConfiguration conf, InputType[] inputTypes, List<String> validCuts,
                           List<AuxiliaryHead> heads, ToDoubleFunction<InputType> cost) {
        double[] cutCost = new double[validCuts.size()];
        if (heads == null || heads.isEmpty()) {
            return cutCost;
        }
        Map<String, InputType> types = GraphSplitter.activationTypes(conf, inputTypes);
        Map<InputType, Double> byType = new LinkedHashMap<>();
        for (int i = 0; i < cutCost.length; i++) {
            cutCost[i] = byType.computeIfAbsent(types.get(validCuts.get(i)), cost::applyAsDouble);
        }
        return cutCost;
    }
}
