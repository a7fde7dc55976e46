namespace Chat.Api.Realtime;

/// <summary>
/// Hands frames to the recipients' sockets: directly on this instance, and through the
/// <see cref="InstanceRouter"/> to instances where a recipient has a socket too.
/// </summary>
internal sealed class FanOut(ConnectionRegistry registry, InstanceRouter router)
{
    public void Deliver(Delivery delivery)
    {
        DeliverLocally(registry, delivery);
        router.Forward(delivery);
    }

    public static void DeliverLocally(ConnectionRegistry registry, Delivery delivery)
    {
        foreach (var recipient in delivery.Recipients)
        {
            if (recipient == delivery.ExceptUser)
            {
                continue;
            }

            foreach (var connection in registry.For(recipient))
            {
                if (connection.Id != delivery.ExceptConnection)
                {
                    connection.TrySend(delivery.Frame);
                }
            }
        }
    }
}
