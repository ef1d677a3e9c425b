package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffResNet;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.util.List;

/**
 * The one way the benchmarks ({@code infopro bench step}, {@code infopro memory}) build what they time: a CIFAR
 * ResNet or a model-zoo network ({@code infopro memory --arch zoo:NAME}) trained through {@link LocalModuleGraph}
 * (or, {@code --engine samediff}, the CIFAR ResNet as a {@link SameDiffLocalModel}),
 * end to end (K = 1) or as K local modules, with the tool's optimizer (PyTorch-form Nesterov SGD, lr 0.1, coupled
 * weight decay 1e-4). InfoPro methods get both heads on every local module (lambdas 5 and 1 throughout): the
 * heaviest InfoPro setting.
 */
final class BenchNetworks {
    static final double LR = 0.1;
    static final double WEIGHT_DECAY = 1e-4;

    private BenchNetworks() {
    }

    /**
     * @param net     the network's configuration
     * @param input   its input type
     * @param k       modules; 1 is end to end whatever the method
     * @param method  the local method for K &gt; 1
     * @param cuts    the cut vertices for K &gt; 1, or null for the memory-balanced split chosen for {@code batch}
     * @param batch   the mini-batch size (for the balanced split's cost model)
     * @param release the native-memory policy ({@link LocalModuleGraphBuilder#releaseNativeMemory})
     * @param norm    how the inputs were normalised (the decoders' target), or null when they are in [0, 1]
     */
    static LocalModuleGraph build(ComputationGraphConfiguration net, InputType input, int k, Method method,
                                  List<String> cuts, int batch, boolean release, Normalization norm) {
        LocalModuleGraphBuilder gb = LocalModuleGraph.builder(net).inputTypes(input)
                .updater(new TorchSgd(LR)).weightDecay(WEIGHT_DECAY)
                .releaseNativeMemory(release).inputNormalization(norm);
        if (k > 1) {
            if (method == Method.E2E) {
                throw new UsageException("--method e2e trains one module: use --k 1, or a local method with --k " + k);
            }
            gb.method(method.learning());
            if (method == Method.INFOPRO_CONTRAST || method == Method.INFOPRO_SOFTMAX) {
                gb.lambdas(LambdaSchedule.linear(5, 1, 5, 1));
            }
            if (cuts != null) {
                gb.cutAfter(cuts.toArray(new String[0]));
            } else {
                gb.modules(k, SplitStrategy.BALANCED_MEMORY).memoryBatchSize(batch);
            }
        }
        try {
            return gb.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * The same network, method, lambdas and optimizer as {@link #build} as SameDiff module graphs
     * ({@code --engine samediff}); cuts are required (the memory-balanced split is planned for ComputationGraphs).
     *
     * @param norm how the inputs were normalised (the decoders' target), or null when they are in [0, 1]
     */
    static SameDiffLocalModel buildSameDiff(CifarResNet net, int k, Method method, List<String> cuts,
                                            Normalization norm) {
        SameDiffLocalModel.Builder b = SameDiffLocalModel.builder(SameDiffResNet.of(net))
                .updater(new TorchSgd(LR)).weightDecay(WEIGHT_DECAY).seed(net.getSeed()).inputNormalization(norm);
        if (k > 1) {
            if (method == Method.E2E) {
                throw new UsageException("--method e2e trains one module: use --k 1, or a local method with --k " + k);
            }
            b.method(method.learning()).cutAfter(cuts.toArray(new String[0]));
            if (method == Method.INFOPRO_CONTRAST || method == Method.INFOPRO_SOFTMAX) {
                b.lambdas(LambdaSchedule.linear(5, 1, 5, 1));
            }
        } else {
            b.method(LocalLearning.endToEnd());
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
