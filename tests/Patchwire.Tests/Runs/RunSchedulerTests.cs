using Patchwire.Agent.Runs;

namespace Patchwire.Tests.Runs;

/// <summary>The scheduler on its own, in memory: caps, arrival order with skip-over, positions, cancellation, no leaks.</summary>
public sealed class RunSchedulerTests
{
    private static string Running(RunScheduler s) => string.Join(",", s.Snapshot().InFlight);
    private static string Waiting(RunScheduler s) => string.Join(",", s.Snapshot().Queued.Select(q => $"{q.Position}:{q.User}"));

    [Fact]
    public void Slots_are_granted_up_to_both_caps_and_positions_match_the_snapshot()
    {
        var scheduler = new RunScheduler(globalCap: 2, perUserCap: 1);
        var a1 = scheduler.Enter("ana");
        var a2 = scheduler.Enter("ana");
        var b1 = scheduler.Enter("ben");
        var c1 = scheduler.Enter("cy");

        Assert.True(a1.IsGranted);
        Assert.Equal(0, a1.Position);
        Assert.False(a2.IsGranted);
        Assert.Equal(1, a2.Position);
        Assert.True(b1.IsGranted);
        Assert.Equal(0, b1.Position);
        Assert.False(c1.IsGranted);
        Assert.Equal(2, c1.Position);
        Assert.Equal("ana,ben", Running(scheduler));
        Assert.Equal("1:ana,2:cy", Waiting(scheduler));
    }

    [Fact]
    public void A_waiter_whose_user_is_at_the_cap_lets_later_ones_pass_but_keeps_its_place()
    {
        var scheduler = new RunScheduler(globalCap: 2, perUserCap: 1);
        var a1 = scheduler.Enter("ana");
        var b1 = scheduler.Enter("ben");
        var a2 = scheduler.Enter("ana");
        var a3 = scheduler.Enter("ana");
        var c1 = scheduler.Enter("cy");

        b1.Dispose(); // a free slot: ana is at her cap, so cy passes both of her waiting requests
        Assert.True(c1.IsGranted);
        Assert.False(a2.IsGranted);
        Assert.Equal("1:ana,2:ana", Waiting(scheduler));

        a1.Dispose(); // ana's next request, in her own order
        Assert.True(a2.IsGranted);
        Assert.False(a3.IsGranted);
        a2.Dispose();
        Assert.True(a3.IsGranted);
        c1.Dispose();
        a3.Dispose();
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public async Task Cancelling_a_waiter_removes_it_and_later_positions_move_up()
    {
        var scheduler = new RunScheduler(globalCap: 1, perUserCap: 1);
        var first = scheduler.Enter("ana");
        var leaving = scheduler.Enter("ben");
        var staying = scheduler.Enter("cy");
        using var cts = new CancellationTokenSource();
        var wait = leaving.WaitAsync(cts.Token);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal("1:cy", Waiting(scheduler));
        Assert.Equal(2, scheduler.Enter("dan").Position);

        first.Dispose();
        await staying.WaitAsync(CancellationToken.None);
        Assert.True(staying.IsGranted);
        leaving.Dispose(); // disposing a withdrawn ticket frees nothing it does not hold
        Assert.Equal(1, scheduler.RunningCount);
    }

    [Fact]
    public void Disposing_twice_frees_one_slot_only()
    {
        var scheduler = new RunScheduler(globalCap: 1, perUserCap: 1);
        var a = scheduler.Enter("ana");
        var b = scheduler.Enter("ben");
        var c = scheduler.Enter("cy");
        a.Dispose();
        a.Dispose();
        Assert.True(b.IsGranted);
        Assert.False(c.IsGranted);
        Assert.Equal(1, scheduler.RunningCount);
    }

    [Fact]
    public async Task Under_concurrent_load_no_cap_is_exceeded_and_no_slot_leaks()
    {
        var scheduler = new RunScheduler(globalCap: 3, perUserCap: 2);
        var running = 0;
        var perUser = new int[5];
        var maxRunning = 0;
        var violations = 0;
        var random = new Random(7);
        var work = Enumerable.Range(0, 400).Select(i => (User: i % 5, Cancel: random.Next(10) == 0, Throw: random.Next(10) == 1)).ToList();

        await Task.WhenAll(work.Select(w => Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource();
            if (w.Cancel) cts.CancelAfter(1);
            try
            {
                using var ticket = scheduler.Enter("u" + w.User);
                await ticket.WaitAsync(cts.Token);
                var now = Interlocked.Increment(ref running);
                if (Interlocked.Increment(ref perUser[w.User]) > 2 || now > 3) Interlocked.Increment(ref violations);
                InterlockedMax(ref maxRunning, now);
                await Task.Yield();
                Interlocked.Decrement(ref perUser[w.User]);
                Interlocked.Decrement(ref running);
                if (w.Throw) throw new InvalidOperationException("run blew up");
            }
            catch (OperationCanceledException) { }
            catch (InvalidOperationException) { }
        })));

        Assert.Equal(0, violations);
        Assert.InRange(maxRunning, 1, 3);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public void A_thousand_waiters_get_their_rank_as_position()
    {
        var scheduler = new RunScheduler(globalCap: 1, perUserCap: 1);
        var holder = scheduler.Enter("holder");
        var tickets = Enumerable.Range(1, 1000).Select(i => scheduler.Enter("u" + i)).ToList();
        Assert.Equal(Enumerable.Range(1, 1000), tickets.Select(t => t.Position));
        Assert.Equal(Enumerable.Range(1, 1000), scheduler.Snapshot().Queued.Select(q => q.Position));
        holder.Dispose();
        Assert.True(tickets[0].IsGranted);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
