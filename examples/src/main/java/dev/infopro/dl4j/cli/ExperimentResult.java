package dev.infopro.dl4j.cli;

import lombok.Value;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/** One row of {@code results.json}, and the summary of {@code metrics.json}. */
@Value
class ExperimentResult {
    String method;
    int k;
    List<String> cuts;
    double testAccuracy;
    /** Peak resident memory of the run's process (kernel VmHWM), the maximum over its epochs. */
    long peakBytes;
    double secondsPerEpoch;
    List<EpochMetrics> epochs;

    @JsonCreator
    ExperimentResult(@JsonProperty("method") String method, @JsonProperty("k") int k,
                     @JsonProperty("cuts") List<String> cuts, @JsonProperty("test_accuracy") double testAccuracy,
                     @JsonProperty("peak_bytes") long peakBytes,
                     @JsonProperty("seconds_per_epoch") double secondsPerEpoch,
                     @JsonProperty("epochs") List<EpochMetrics> epochs) {
        this.method = method;
        this.k = k;
        this.cuts = cuts;
        this.testAccuracy = testAccuracy;
        this.peakBytes = peakBytes;
        this.secondsPerEpoch = secondsPerEpoch;
        this.epochs = epochs;
    }

    @JsonProperty("test_accuracy")
    public double getTestAccuracy() {
        return testAccuracy;
    }

    @JsonProperty("peak_bytes")
    public long getPeakBytes() {
        return peakBytes;
    }

    @JsonProperty("seconds_per_epoch")
    public double getSecondsPerEpoch() {
        return secondsPerEpoch;
    }
}
