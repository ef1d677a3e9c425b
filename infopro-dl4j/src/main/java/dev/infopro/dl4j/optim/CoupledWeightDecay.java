package dev.infopro.dl4j.optim;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.Arrays;
import java.util.Map;

/**
 * PyTorch's coupled ("L2 in the gradient") weight decay, {@code g += wd * p}, applied before {@link TorchSgd}. The
 * method applies it to every trainable parameter, including batch-norm and bias parameters (docs/method.md §3);
 * DL4J's own l2 skips those. The one implementation the engine and the tests use.
 */
public final class CoupledWeightDecay {

    private CoupledWeightDecay() {
    }

    /**
     * Adds {@code wd * params} to {@code gradient} in place (BLAS axpy, so views are updated where they live).
     *
     * @param params   the parameters (not modified)
     * @param gradient the gradient, same shape as {@code params}; modified in place
     * @param wd       weight-decay factor; 0 leaves the gradient untouched
     * @return {@code gradient}, for chaining
     */
    public static INDArray apply(INDArray params, INDArray gradient, double wd) {
        if (!params.equalShapes(gradient)) {
            throw new IllegalArgumentException("params and gradient shapes differ: "
                    + Arrays.toString(params.shape()) + " vs " + Arrays.toString(gradient.shape()));
        }
        addScaled(params, gradient, wd);
        return gradient;
    }

    private static void addScaled(INDArray params, INDArray gradient, double wd) {
        if (wd != 0) {
            Nd4j.getBlasWrapper().level1().axpy(gradient.length(), wd, params, gradient);
        }
    }

    /**
     * Adds the decay of every trainable parameter of {@code graph} to its gradient {@code g}, before DL4J's updater.
     * Batch-norm running statistics and frozen parameters ({@link NoOp} updater) are left out. DL4J divides the
     * summed gradient by the batch size inside the updater (when miniBatch is on), so the term is scaled by the
     * batch size here to reach the mean gradient as {@code wd * param}.
     *
     * @param graph     the graph whose parameters decay
     * @param g         its gradient (as computed by {@code computeGradientAndScore}); modified in place
     * @param wd        weight-decay factor; 0 does nothing
     * @param batchSize the mini-batch size of the gradient
     */
    public static void apply(ComputationGraph graph, Gradient g, double wd, int batchSize) {
        if (wd == 0.0) {
            return;
        }
        double scale = graph.getConfiguration().getDefaultConfiguration().isMiniBatch() ? batchSize : 1.0;
        Map<String, INDArray> grads = g.gradientForVariable();
        for (Layer l : graph.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
                String key = p.getKey();
                if (!l.updaterDivideByMinibatch(key) || l.conf().getLayer().getUpdaterByParam(key) instanceof NoOp) {
                    continue; // batch-norm running statistics, frozen parameters
                }
                INDArray gv = grads.get(name + "_" + key);
                if (gv != null) {
                    addScaled(p.getValue(), gv, wd * scale); // DL4J keeps a parameter's gradient in its shape
                }
            }
        }
    }
}
