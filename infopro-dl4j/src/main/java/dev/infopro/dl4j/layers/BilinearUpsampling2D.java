package dev.infopro.dl4j.layers;

import lombok.Data;
import lombok.EqualsAndHashCode;
import lombok.NoArgsConstructor;
import lombok.ToString;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.NoParamLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.params.EmptyParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Collection;

/**
 * Bilinear resize of NCHW activations to a fixed {@code outHeight x outWidth}, with {@code align_corners = true}
 * (PyTorch's {@code F.interpolate(..., mode="bilinear", align_corners=True)}), as InfoPro's decoder uses.
 * DL4J's {@code Upsampling2D} is nearest-neighbour only.
 *
 * <p>The layer is a fixed linear map with an exact backward pass (see {@link BilinearInterpolation}); it has no
 * parameters. Input must be convolutional in NCHW format.
 */
@Data
@NoArgsConstructor
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class BilinearUpsampling2D extends NoParamLayer {

    private long outHeight;
    private long outWidth;

    /**
     * @param outHeight output height, at least 1
     * @param outWidth  output width, at least 1
     */
    public BilinearUpsampling2D(@JsonProperty("outHeight") long outHeight, @JsonProperty("outWidth") long outWidth) {
        this(new Builder().outputSize(outHeight, outWidth));
    }

    /**
     * @param builder the settings; its output size must be at least 1x1
     */
    protected BilinearUpsampling2D(Builder builder) {
        super(builder);
        if (builder.outHeight < 1 || builder.outWidth < 1) {
            throw new IllegalArgumentException("BilinearUpsampling2D needs an output size >= 1x1, got "
                    + builder.outHeight + "x" + builder.outWidth + "; set it with outputSize(h, w)");
        }
        this.outHeight = builder.outHeight;
        this.outWidth = builder.outWidth;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new BilinearUpsampling2DLayer(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams, initializer());
    }

    @Override
    public ParamInitializer initializer() {
        return EmptyParamInitializer.getInstance();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional in = checkInput(inputType);
        return InputType.convolutional(outHeight, outWidth, in.getChannels(), CNN2DFormat.NCHW);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        checkInput(inputType);
        return null;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType outputType = getOutputType(-1, inputType);
        long in = inputType.arrayElementsPerExample();
        long out = outputType.arrayElementsPerExample();
        // Working memory: the intermediate after the width pass (forward) or its gradient (backward).
        InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) inputType;
        long mid = c.getChannels() * c.getHeight() * outWidth;
        return new LayerMemoryReport.Builder(layerName, BilinearUpsampling2D.class, inputType, outputType)
                .standardMemory(0, 0)
                .workingMemory(0, mid, 0, Math.max(mid, in))
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    private InputType.InputTypeConvolutional checkInput(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional)) {
            throw new IllegalArgumentException("BilinearUpsampling2D (layer " + layerName
                    + ") needs convolutional NCHW input, got " + inputType
                    + "; place it after a convolution or use InputType.convolutional(h, w, c)");
        }
        InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) inputType;
        if (c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException("BilinearUpsampling2D (layer " + layerName
                    + ") supports NCHW only, got " + c.getFormat() + "; use CNN2DFormat.NCHW layers before it");
        }
        return c;
    }

    /** Builder: {@code new BilinearUpsampling2D.Builder().outputSize(h, w).name("up").build()}. */
    public static class Builder extends org.deeplearning4j.nn.conf.layers.Layer.Builder<Builder> {
        private long outHeight;
        private long outWidth;

        /** Sets the fixed output size. */
        public Builder outputSize(long height, long width) {
            this.outHeight = height;
            this.outWidth = width;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public BilinearUpsampling2D build() {
            return new BilinearUpsampling2D(this);
        }
    }
}
