package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

/** Test-only INPUT_IMAGE head: conv 3x3 (same size) to the image channels + sigmoid with lambda-weighted BCE. */
public class TestImageHead implements AuxiliaryHead {

    @Override
    public Target target() {
        return Target.INPUT_IMAGE;
    }

    @Override
    public String attach(ComputationGraphConfiguration.GraphBuilder graph, String input, InputType inputType,
                         String prefix, double lossWeight, HeadContext context) {
        if (!(inputType instanceof InputType.InputTypeConvolutional)) {
            throw new IllegalArgumentException("TestImageHead needs convolutional input, got " + inputType);
        }
        InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) inputType;
        if (c.getHeight() != context.getImageHeight() || c.getWidth() != context.getImageWidth()) {
            throw new IllegalArgumentException("TestImageHead needs h at image size");
        }
        graph.addLayer(prefix + "conv", new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same)
                .nOut(context.getImageChannels()).activation(Activation.IDENTITY).build(), input);
        double[] w = new double[(int) context.getImageChannels()];
        java.util.Arrays.fill(w, lossWeight);
        graph.addLayer(prefix + "out", new CnnLossLayer.Builder(new LossBinaryXENT(Nd4j.create(w)))
                .activation(Activation.SIGMOID).build(), prefix + "conv");
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
