package dev.infopro.dl4j.cli;

import lombok.Value;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/** What {@code metrics.json} records for each epoch. */
@Value
class EpochMetrics {
    int epoch;
    double lr;
    /** Mean training loss of each module over the epoch (module K's is the network's own loss). */
    double[] moduleTrainLoss;
    double testAccuracy;
    double seconds;
    /** Peak resident memory of the process during the epoch's training (kernel VmHWM). */
    long peakRssBytes;
    /**
     * Training loss of each module on each mini-batch ([iteration][module]); null for an epoch trained before a
     * resume.
     */
    double[][] iterationModuleLoss;

    @JsonCreator
    EpochMetrics(@JsonProperty("epoch") int epoch, @JsonProperty("lr") double lr,
                 @JsonProperty("module_train_loss") double[] moduleTrainLoss,
                 @JsonProperty("test_accuracy") double testAccuracy, @JsonProperty("seconds") double seconds,
                 @JsonProperty("peak_rss_bytes") long peakRssBytes,
                 @JsonProperty("iteration_module_loss") double[][] iterationModuleLoss) {
        this.epoch = epoch;
        this.lr = lr;
        this.moduleTrainLoss = moduleTrainLoss;
        this.testAccuracy = testAccuracy;
        this.seconds = seconds;
        this.peakRssBytes = peakRssBytes;
        this.iterationModuleLoss = iterationModuleLoss;
    }

    @JsonProperty("epoch")
    public int getEpoch() {
        return epoch;
    }

    @JsonProperty("module_train_loss")
    public double[] getModuleTrainLoss() {
        return moduleTrainLoss;
    }

    @JsonProperty("test_accuracy")
    public double getTestAccuracy() {
        return testAccuracy;
    }

    @JsonProperty("peak_rss_bytes")
    public long getPeakRssBytes() {
        return peakRssBytes;
    }

    @JsonProperty("iteration_module_loss")
    public double[][] getIterationModuleLoss() {
        return iterationModuleLoss;
    }
}
