package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.checkpoint.Checkpoint;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.ModuleStepResult;
import dev.infopro.dl4j.engine.ModuleTrainer;
import dev.infopro.dl4j.heads.SameDiffLayers;
import dev.infopro.dl4j.losses.InfoProLosses;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.util.FeatureUtil;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local training of SameDiff networks: sizes, the StopGradient oracle, cuts, export and persistence, state, and
 * checkpoints through {@link CheckpointManager}.
 */
@ExtendWith(DoublePrecision.class)
class SameDiffLocalModelTest {
    private static CifarResNet spec(int depth) {
        return CifarResNet.builder().depth(depth).channels(1).height(12).width(12).numClasses(4)
                .dataType(DataType.DOUBLE).build();
    }

    private static SameDiffLocalModel model(String... cuts) {
        return SameDiffLocalModel.builder(SameDiffResNet.of(spec(8))).cutAfter(cuts)
                .method(LocalLearning.infoProContrast())
                .lambdas(LambdaSchedule.explicit(java.util.Arrays.copyOf(new double[][]{{2, 1}, {1, 1}}, cuts.length)))
                .updater(new TorchSgd(0.05)).weightDecay(1e-4).seed(7).build();
    }

    private static DataSet batch(int n, long seed) {
        return SyntheticBatch.of(DataType.DOUBLE, n, 12, 4, seed);
    }

    @Test
    void resNetHasCifarResNetsParameters() {
        for (int depth : new int[]{8, 20}) {
            SameDiff sd = SameDiffResNet.of(spec(depth)).inferenceGraph();
            long count = 0;
            for (SDVariable v : sd.variables()) {
                if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                    count += v.getArr().length();
                }
            }
            // DL4J counts batch norm's running mean and variance as parameters; here they are the constants.
            assertEquals(spec(depth).init().numParams(), count, "ResNet-" + depth);
        }
    }

    /** One graph, StopGradient at every cut, local losses summed: the same gradients as the K module graphs. */
    @Test
    void stopGradientOracleGivesTheModuleGradients() {
        SameDiffLocalModel local = model("stem", "s1b0");
        SameDiffNetwork net = local.getNetwork();
        DataSet b = batch(6, 3);
        INDArray x01 = b.getFeatures();

        SameDiff sd = SameDiff.create();
        SDVariable h = sd.placeHolder(SameDiffNetwork.INPUT, DataType.DOUBLE, -1, 1, 12, 12);
        List<String> units = net.getUnitNames();
        int[] ends = {units.indexOf("stem") + 1, units.indexOf("s1b0") + 1};
        SDVariable total = null;
        int from = 0;
        for (int k = 0; k < 2; k++) {
            h = net.define(sd, h, from, ends[k], true);
            double[] lambdas = k == 0 ? new double[]{2, 1} : new double[]{1, 1};
            SDVariable l = SameDiffModuleGraphs.localLoss(sd, h, net, k, units.get(ends[k] - 1),
                    LocalLearning.infoProContrast(), lambdas, new ArrayList<>(), new ArrayList<>());
            total = total == null ? l : total.add(l);
            h = InfoProLosses.stopGradient(sd, h);
            from = ends[k];
        }
        SDVariable out = net.define(sd, h, from, units.size(), true);
        total = total.add(net.getOutput().loss(sd, out, sd.getVariable(SameDiffModuleGraphs.LABELS)));
        sd.setLossVariables(total);
        Map<String, INDArray> state = local.stateArrays();
        List<String> params = new ArrayList<>();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                v.getArr().assign(state.get(v.name()));
                params.add(v.name());
            }
        }
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(SameDiffNetwork.INPUT, b.getFeatures());
        ph.put(SameDiffModuleGraphs.X01, x01);
        ph.put(SameDiffModuleGraphs.LABELS, b.getLabels());
        Map<String, INDArray> oracle = sd.calculateGradients(ph, params);

        INDArray[] in = {b.getFeatures()};
        int compared = 0;
        for (SameDiffModuleTrainer t : local.getTrainers()) {
            INDArray[] labels = t.getSpec().isLast() ? new INDArray[]{b.getLabels()}
                    : new INDArray[]{x01, b.getLabels()};
            ModuleStepResult r = t.computeGradient(in, labels, 0, 0);
            for (Map.Entry<String, INDArray> g : t.getGradients().entrySet()) {
                INDArray o = oracle.get(g.getKey());
                assertNotNull(o, "oracle gradient of " + g.getKey());
                double err = Transforms.abs(o.sub(g.getValue())).maxNumber().doubleValue();
                double scale = Math.max(1e-3, Transforms.abs(o).maxNumber().doubleValue());
                assertTrue(err <= 1e-10 * scale, g.getKey() + ": max abs err " + err + ", max |grad| " + scale);
                compared++;
            }
            t.discardGradient();
            in = new INDArray[]{r.getCutActivation()};
        }
        assertEquals(params.size(), compared, "every parameter of the oracle is in exactly one module");
    }

    @Test
    void cutsAreValidated() {
        SameDiffNetwork net = SameDiffResNet.of(spec(8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SameDiffLocalModel.builder(net).cutAfter("s1b7").build());
        assertEquals("Cannot cut after 's1b7': no such unit; valid cuts: [stem, s1b0, s2b0, s3b0]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SameDiffLocalModel.builder(net).cutAfter("fc").build());
        assertEquals("Cannot cut after 'fc': it is the last unit; valid cuts: [stem, s1b0, s2b0, s3b0]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SameDiffLocalModel.builder(net).cutAfter("s2b0", "s1b0").build());
        assertEquals("Cuts must be distinct and in network order, got [s2b0, s1b0]; valid cuts in order: "
                + "[stem, s1b0, s2b0, s3b0]", e.getMessage());
    }

    @Test
    void exportMatchesTheModuleChainAndSurvivesSaveAndLoad(@TempDir File dir) throws Exception {
        SameDiffLocalModel local = model("s1b0");
        double[] first = local.fit(batch(8, 5));
        for (int i = 0; i < 3; i++) {
            local.fit(batch(8, 5));
        }
        double[] later = local.fit(batch(8, 5));
        assertTrue(later[0] < first[0] && later[1] < first[1], "training on one batch lowers both losses: "
                + first[0] + " -> " + later[0] + ", " + first[1] + " -> " + later[1]);
        INDArray x = batch(5, 9).getFeatures();
        INDArray chain = local.output(x);
        SameDiff plain = local.toSameDiff();
        INDArray exported = plain.output(Map.of(SameDiffNetwork.INPUT, x), "prediction").get("prediction");
        assertEquals(0.0, Transforms.abs(chain.sub(exported)).maxNumber().doubleValue(), 1e-12);
        assertEquals(5.0, chain.sum(1).sumNumber().doubleValue(), 1e-9, "softmax rows sum to 1");

        File f = new File(dir, "resnet8.sd");
        plain.save(f, true);
        SameDiff loaded = SameDiff.load(f, true);
        INDArray again = loaded.output(Map.of(SameDiffNetwork.INPUT, x), "prediction").get("prediction");
        assertEquals(0.0, Transforms.abs(chain.sub(again)).maxNumber().doubleValue(), 1e-12);
        assertTrue(plain.variables().stream().noneMatch(v -> v.name().startsWith("m0h")), "no heads exported");
    }

    @Test
    void stepUpdatesRunningStatisticsAndSnapshotsRestoreEverything() {
        SameDiffLocalModel local = model("s1b0");
        ModuleTrainer first = local.getTrainers().get(0);
        ModuleTrainer.Snapshot before = first.snapshot();
        Map<String, INDArray> initial = copy(local.stateArrays());
        DataSet b = batch(8, 11);
        local.fit(b);
        // stem_bn's batch mean on this batch, from the inference graph of stem_conv alone
        SameDiff conv = SameDiff.create();
        SDVariable in = conv.placeHolder(SameDiffNetwork.INPUT, DataType.DOUBLE, -1, 1, 12, 12);
        SDVariable c = SameDiffLayers.conv(conv, in, "stem_conv", 1, 16, 3, 1, false);
        conv.getVariable("stem_conv_W").getArr().assign(initial.get("stem_conv_W"));
        INDArray batchMean = conv.output(Map.of(SameDiffNetwork.INPUT, b.getFeatures()), c.name()).get(c.name())
                .mean(0, 2, 3);
        INDArray running = local.stateArrays().get("stem_bn_mean");
        assertEquals(0.0, Transforms.abs(running.sub(batchMean.mul(0.1))).maxNumber().doubleValue(), 1e-12,
                "running mean = 0.9 * 0 + 0.1 * batch mean");
        assertTrue(Transforms.abs(local.stateArrays().get("stem_conv_W").sub(initial.get("stem_conv_W")))
                .maxNumber().doubleValue() > 1e-6, "the step changed the weights");
        first.restore(before);
        for (String k : local.getTrainers().get(0).getGraphs().stateArrays().keySet()) {
            assertEquals(initial.get(k), local.stateArrays().get(k), k + " restored");
        }
        before.close();
    }

    @Test
    void batchesThatDoNotFitTheNetworkAreRefusedBeforeAnyStep() {
        SameDiffLocalModel local = model("s1b0");
        DataSet good = batch(4, 3);
        String m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new DataSet(Nd4j.rand(DataType.DOUBLE, 4, 3, 12, 12), good.getLabels()))).getMessage();
        assertTrue(m.contains("expected [batch, 1, 12, 12] (NCHW) but got [4, 3, 12, 12]"), m);
        INDArray threeClasses = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 2, 0}, 3).castTo(DataType.DOUBLE);
        m = assertThrows(IllegalArgumentException.class, () -> local.fit(new DataSet(good.getFeatures(), threeClasses)))
                .getMessage();
        assertTrue(m.startsWith("The data has 3 classes but the network has 4"), m);
        INDArray zeroRow = good.getLabels().dup();
        zeroRow.getRow(2).assign(0);
        m = assertThrows(IllegalArgumentException.class, () -> local.fit(new DataSet(good.getFeatures(), zeroRow)))
                .getMessage();
        assertTrue(m.contains("row 2 sums to 0.0."), m);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> local.fit(new DataSet(good.getFeatures(), null)))
                .getMessage().startsWith("The batch has no labels"));
        m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new DataSet(good.getFeatures().mul(255), good.getLabels()))).getMessage();
        assertTrue(m.startsWith("The reconstruction target (the input itself: no inputNormalization(...) was given)"
                + " has values in ["), m);
        assertTrue(m.endsWith("Give the builder inputNormalization(...) with the mean and std the data was"
                + " standardised with (the target is x * std + mean per channel), e.g. an ImageDataSetIterator's"
                + " getNormalization()"), m);
        assertEquals(0, local.getIterationCount(), "no step ran");
        local.fit(good);
        assertEquals(1, local.getIterationCount());
    }

    @Test
    void iteratorsWithoutBatchesOrResetAreRefused() {
        SameDiffLocalModel local = model("s1b0");
        String m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new ListDataSetIterator<>(new ArrayList<DataSet>(), 2), 1)).getMessage();
        assertTrue(m.startsWith("The training iterator gave no batch: it is empty"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new IteratorDataSetIterator(List.of(batch(4, 1)).iterator(), 4), 3)).getMessage();
        assertTrue(m.startsWith("Training for 3 epochs needs an iterator that can reset"), m);
        assertThrows(IllegalArgumentException.class, () -> local.fit(new ListDataSetIterator<>(List.of(batch(4, 1))), 0));
        assertEquals(1, local.fitEpoch(new IteratorDataSetIterator(List.of(batch(4, 1)).iterator(), 4)).size(),
                "one epoch on a one-shot iterator trains");
        assertEquals(4, local.evaluate(new IteratorDataSetIterator(List.of(batch(4, 2)).iterator(), 4)).getNumRowCounter(),
                "and one evaluation");
        m = assertThrows(IllegalArgumentException.class, () -> local.evaluate(new IteratorDataSetIterator(
                List.of(new DataSet(batch(4, 2).getFeatures(), null)).iterator(), 4))).getMessage();
        assertTrue(m.startsWith("Evaluation compares predictions with labels"), m);
    }

    @Test
    void savedStateResumesExactly(@TempDir File dir) throws Exception {
        SameDiffLocalModel a = model("s1b0");
        a.fit(batch(8, 21));
        a.fit(batch(8, 22));
        Path file = dir.toPath().resolve("state.zip");
        a.save(file);
        double[] next = a.fit(batch(8, 23));

        SameDiffLocalModel b = model("s1b0");
        b.restore(file);
        assertEquals(2, b.getIteration());
        double[] resumed = b.fit(batch(8, 23));
        assertEquals(next[0], resumed[0], 0.0);
        assertEquals(next[1], resumed[1], 0.0);
        Map<String, INDArray> sa = a.stateArrays();
        b.stateArrays().forEach((k, v) -> assertEquals(sa.get(k), v, k));
        INDArray x = batch(3, 24).getFeatures();
        assertEquals(a.output(x), b.output(x));

        SameDiffLocalModel other = model("stem");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.restore(file));
        assertTrue(e.getMessage().startsWith("Saved model has cuts [s1b0] over units"), e.getMessage());
    }

    @Test
    void modulesWrittenAsFunctionsTrain() {
        SameDiffNetwork net = SameDiffNetwork.builder(1, 12, 12, 4)
                .dataType(DataType.DOUBLE)
                .unit("block1", (sd, x, training) -> sd.nn.relu(SameDiffLayers.batchNorm(sd,
                        SameDiffLayers.conv(sd, x, "conv1", 1, 8, 3, 1, false), "bn1", 8, training), 0))
                .unit("block2", (sd, x, training) -> sd.nn.relu(SameDiffLayers.batchNorm(sd,
                        SameDiffLayers.conv(sd, x, "conv2", 8, 8, 3, 2, false), "bn2", 8, training), 0))
                .unit("fc", (sd, x, training) -> SameDiffLayers.dense(sd, x.mean(2, 3), "fc", 8, 4))
                .build();
        SameDiffLocalModel local = SameDiffLocalModel.builder(net).cutAfter("block1")
                .method(LocalLearning.greedy()).updater(new TorchSgd(0.1)).seed(1).build();
        assertEquals(List.of("m0h0_out_W", "m0h0_out_b"), local.getTrainers().get(0).getGraphs().parameterNames()
                .stream().filter(n -> n.startsWith("m0h")).sorted().toList(),
                "greedy: a 0c1f classifier as DL4J names it");
        DataSet b = batch(8, 2);
        double[] first = local.fit(b);
        double[] last = first;
        for (int i = 0; i < 5; i++) {
            last = local.fit(b);
        }
        assertTrue(last[0] < first[0] && last[1] < first[1], "losses fall on a repeated batch");
        assertEquals(6, local.getIteration());
        assertEquals(List.of(8L, 4L), List.of(local.output(b.getFeatures()).shape()[0],
                local.output(b.getFeatures()).shape()[1]));
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> m) {
        Map<String, INDArray> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, v.dup()));
        return c;
    }

    // ---- checkpoints through the same CheckpointManager as LocalModuleGraph runs

    private static Map<String, INDArray> everything(SameDiffLocalModel m) {
        Map<String, INDArray> all = new HashMap<>(m.stateArrays());
        for (SameDiffModuleTrainer t : m.getTrainers()) {
            t.getUpdaterStates().forEach((k, v) -> all.put("updater/" + k, v));
        }
        return all;
    }

    /** Two steps, checkpoint, restore into a fresh model, two more steps: bit for bit the same as four steps. */
    @Test
    void resumeFromCheckpointManagerEqualsUninterruptedTraining(@TempDir Path dir) throws Exception {
        SameDiffLocalModel straight = model("s1b0");
        straight.fit(batch(8, 100));
        straight.fit(batch(8, 101));
        CheckpointManager cm = new CheckpointManager(dir.resolve("checkpoints"));
        Path file = cm.save(straight, new IteratorState(5, 0, 2), Map.of("engine", "samediff"));
        assertEquals(CheckpointManager.fileName(0, 2), file.getFileName().toString());
        double[][] straightLosses = {straight.fit(batch(8, 102)), straight.fit(batch(8, 103))};

        SameDiffLocalModel resumed = model("s1b0");
        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals("SameDiffLocalModel", cp.getModelKind());
        assertEquals(2, cp.getIteration());
        assertEquals(0, cp.getEpoch());
        assertEquals(new IteratorState(5, 0, 2), cp.getDataState());
        assertEquals("samediff", cp.getMetadata().get("engine"));
        IllegalStateException noGraph = assertThrows(IllegalStateException.class, cp::getModel);
        assertTrue(noGraph.getMessage().contains("holds a SameDiffLocalModel"), noGraph.getMessage());
        try (InputStream in = cp.openModelState()) {
            resumed.restore(in);
        }
        cp.restoreRandomState();
        assertEquals(2, resumed.getIterationCount());
        double[][] resumedLosses = {resumed.fit(batch(8, 102)), resumed.fit(batch(8, 103))};

        for (int i = 0; i < 2; i++) {
            assertArrayEquals(straightLosses[i], resumedLosses[i], 0.0, "losses of step " + (i + 3));
        }
        assertEquals(4, resumed.getIterationCount());
        Map<String, INDArray> expected = everything(straight);
        Map<String, INDArray> actual = everything(resumed);
        assertEquals(expected.keySet(), actual.keySet());
        assertTrue(expected.keySet().stream().anyMatch(k -> k.startsWith("updater/")), "momentum is compared too");
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), e.getKey() + " after 2 + 2 steps vs 4 steps");
        }
    }

    /** A damaged newest SameDiff checkpoint is skipped as for LocalModuleGraph checkpoints. */
    @Test
    void corruptNewestCheckpointFallsBackToThePreviousOne(@TempDir Path dir) throws Exception {
        SameDiffLocalModel m = model("s1b0");
        CheckpointManager cm = new CheckpointManager(dir);
        m.fit(batch(8, 100));
        cm.save(m, null, null);
        Map<String, INDArray> afterOne = new HashMap<>();
        everything(m).forEach((k, v) -> afterOne.put(k, v.dup()));
        m.fit(batch(8, 101));
        Path newest = cm.save(m, null, null);
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(newest, bytes);

        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals(1, cp.getIteration());
        assertEquals(List.of(CheckpointManager.fileName(0, 1), CheckpointManager.fileName(0, 2)),
                cm.list().stream().map(p -> p.getFileName().toString()).toList());
        SameDiffLocalModel fresh = model("s1b0");
        fresh.restore(cp.openModelState());
        assertEquals(1, fresh.getIteration());
        Map<String, INDArray> restored = everything(fresh);
        assertEquals(afterOne.keySet(), restored.keySet());
        afterOne.forEach((k, v) -> assertEquals(v, restored.get(k), k + " as after the first step"));
    }
}
