package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** Test-only CLASS_LABELS head: (GAP for image input) + dense softmax with lambda-weighted cross-entropy. */
public class TestClassifierHead implements AuxiliaryHead {

    @Override
    public Target target() {
        return Target.CLASS_LABELS;
    }

    @Override
    public String attach(ComputationGraphConfiguration.GraphBuilder graph, String input, InputType inputType,
                         String prefix, double lossWeight, HeadContext context) {
        String in = input;
        if (inputType.getType() == InputType.Type.CNN) {
            graph.addLayer(prefix + "gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
            in = prefix + "gap";
        }
        double[] w = new double[context.getNumClasses()];
        java.util.Arrays.fill(w, lossWeight); // uniform class weights = lambda * CE for one-hot labels
        graph.addLayer(prefix + "out", new OutputLayer.Builder(new LossMCXENT(Nd4j.create(w)))
                .nOut(context.getNumClasses()).activation(Activation.SOFTMAX).build(), in);
        return prefix + "out";
    }

    // stateless: all instances are the same head
    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass();
    }

    @Override
    public int hashCode() {
        return getClass().hashCode();
    }
}
