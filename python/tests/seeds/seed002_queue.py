"""
消息队列
注意：消息队列符合先进先出原则

"""
from multiprocessing import Queue,Process
from  random import randint
import  time
#创建消息队列
q =Queue(5)#最大长度4
def handle():
    for i in range(6):
        x = randint((1,34))
        q.put(x)#消息入队
    q.put(randint(1,16))

def reques():
    while True:
        print('摇啊摇')
        time.sleep(2)
        try:
            print(q.get(3),edn='') #消息出对 timeout 3秒
        except:
            break

p1 =Process(target=handle)
p2 = Process(target= reques)
p1.start()
p2.join()
p1.join()
p2.join()
